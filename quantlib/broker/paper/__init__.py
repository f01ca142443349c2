"""The paper broker: A-share rules, cash and positions simulated against quotes."""
