"""Domain types shared by backtest, brokers and live trading."""
