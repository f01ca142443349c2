"""Report text in Simplified Chinese and English, and how the language is chosen.

Reports are read by people, so they default to Chinese: the language is the ``language``
argument when given, else ``QUANTLIB_REPORT_LANG``, else ``QUANTLIB_LANG``, else ``zh``.
"""

from __future__ import annotations

import os

from quantlib.analytics.report.errors import ReportError

#: Languages a report can be written in.
LANGUAGES = ("zh", "en")

#: key -> (English, Chinese)
TEXT: dict[str, tuple[str, str]] = {
    # titles and sections
    "tearsheet": ("Backtest tearsheet", "回测报告"),
    "comparison": ("Backtest comparison", "回测对比报告"),
    "sweep_comparison": ("Parameter sweep comparison", "参数扫描对比报告"),
    "sec_summary": ("Headline metrics", "核心指标"),
    "sec_identity": ("Run identity", "运行信息"),
    "sec_equity": ("Equity vs benchmark", "净值与基准"),
    "sec_drawdown": ("Underwater (drawdown)", "回撤（水下曲线）"),
    "sec_drawdown_periods": ("Worst drawdowns", "最大回撤区间"),
    "sec_monthly": ("Monthly returns", "月度收益"),
    "sec_yearly": ("Yearly returns", "年度收益"),
    "sec_rolling": ("Rolling Sharpe and beta", "滚动夏普与贝塔"),
    "sec_exposure": ("Exposure and positions", "仓位与持仓数"),
    "sec_turnover": ("Turnover", "换手率"),
    "sec_fees": ("Fees", "交易费用"),
    "sec_trades": ("Trades", "成交记录"),
    "sec_metrics_table": ("Metrics side by side", "指标对比"),
    "sec_overlay": ("Equity curves", "净值曲线对比"),
    "sec_params": ("Parameters", "参数"),
    "sec_heatmap": ("Parameter heatmap", "参数热力图"),
    "sec_top": ("Top parameter sets", "最优参数组合"),
    "sec_notes": ("What is missing", "缺失说明"),
    # chart labels
    "strategy": ("Strategy", "策略"),
    "benchmark": ("Benchmark", "基准"),
    "linear": ("Linear", "线性坐标"),
    "log": ("Log", "对数坐标"),
    "growth": ("Growth of 1", "净值（起点为 1）"),
    "drawdown": ("Drawdown", "回撤"),
    "rolling_sharpe": ("Rolling Sharpe ({window} days)", "滚动夏普（{window} 日）"),
    "rolling_beta": ("Rolling beta ({window} days)", "滚动贝塔（{window} 日）"),
    "exposure": ("Exposure (invested / equity)", "仓位（持仓市值 / 权益）"),
    "n_positions": ("Positions held", "持仓数"),
    "turnover_month": ("Monthly turnover", "月度换手率"),
    "date": ("Date", "日期"),
    "month": ("Month", "月份"),
    "year": ("Year", "年份"),
    "return": ("Return", "收益率"),
    "total": ("Total", "合计"),
    "amount": ("Amount (yuan)", "金额（元）"),
    "share": ("Share", "占比"),
    "baseline": ("baseline", "基准组"),
    "best_over_rest": (
        "{metric} by {x} and {y} (best over the other parameters)",
        "{metric}：{x} × {y}（其余参数取最优）",
    ),
    "by_param": ("{metric} by {x}", "{metric}：按 {x}"),
    # identity
    "id_strategy": ("Strategy", "策略"),
    "id_code_hash": ("Version (code hash)", "版本（代码哈希）"),
    "id_params": ("Parameters", "参数"),
    "id_range": ("Data range", "数据区间"),
    "id_symbols": ("Symbols", "证券数量"),
    "id_snapshot": ("Store snapshot", "数据快照"),
    "id_cash": ("Starting cash", "初始资金"),
    "id_benchmark": ("Benchmark", "基准"),
    "id_version": ("quantlib version", "quantlib 版本"),
    "id_created": ("Run at", "运行时间"),
    "none": ("none", "无"),
    # fees
    "fee_commission": ("Commission", "佣金"),
    "fee_stamp_duty": ("Stamp duty", "印花税"),
    "fee_transfer_fee": ("Transfer fee", "过户费"),
    "fee_exchange_fees": ("Exchange fees", "交易所规费"),
    "fees_of_traded": ("Fees as a share of traded value: {share}", "费用占成交额比例：{share}"),
    # trade list
    "col_time": ("Time", "时间"),
    "col_symbol": ("Symbol", "代码"),
    "col_side": ("Side", "方向"),
    "col_quantity": ("Quantity", "数量"),
    "col_price": ("Price", "价格"),
    "col_value": ("Value", "成交额"),
    "col_fees": ("Fees", "费用"),
    "buy": ("buy", "买入"),
    "sell": ("sell", "卖出"),
    "filter_symbol": ("Symbol contains", "代码包含"),
    "filter_side": ("Side", "方向"),
    "filter_all": ("all", "全部"),
    "filter_from": ("From", "起始"),
    "filter_to": ("To", "截止"),
    "shown_rows": ("{shown} of {total} trades shown", "显示 {shown} / {total} 笔成交"),
    "trades_truncated": (
        "The first {shown} of {total} trades are listed; the full list is in the HTML report.",
        "仅列出前 {shown} 笔成交（共 {total} 笔）；完整列表见 HTML 报告。",
    ),
    # drawdown periods
    "dd_peak": ("Peak", "峰值日"),
    "dd_trough": ("Trough", "谷底日"),
    "dd_recovery": ("Recovered", "恢复日"),
    "dd_depth": ("Depth", "深度"),
    "dd_days": ("Days", "天数"),
    "not_recovered": ("not yet", "尚未恢复"),
    # comparison
    "run": ("Run", "运行"),
    "metric": ("Metric", "指标"),
    "better": ("better than the baseline", "优于基准组"),
    "worse": ("worse than the baseline", "劣于基准组"),
    "differs": ("differs from the baseline", "与基准组不同"),
    "legend_compare": (
        "The first run is the baseline; cells differing from it are marked.",
        "第一个运行为基准组；与之不同的单元格已标出。",
    ),
    "legend_sweep": (
        "Top {top} of {total} parameter sets by {metric}; the best value of each metric is marked.",
        "按 {metric} 排序的前 {top} 组参数（共 {total} 组）；各指标最优值已标出。",
    ),
    "failed_sets": (
        "{count} parameter sets failed and are left out.",
        "{count} 组参数运行失败，已排除。",
    ),
    # notes on missing or doubtful input
    "note_no_benchmark": (
        "No benchmark: benchmark-relative metrics and rolling beta are left out.",
        "无基准：相对基准的指标与滚动贝塔未计算。",
    ),
    "note_benchmark_gap": (
        "The benchmark covers {covered} of {total} bars; metrics against it use the common dates.",
        "基准仅覆盖 {covered} / {total} 个交易日；相对基准的指标按共同日期计算。",
    ),
    "note_benchmark_disjoint": (
        "The benchmark shares no dates with the equity curve; it is left out.",
        "基准与净值曲线没有共同日期，已忽略基准。",
    ),
    "note_nan_equity": (
        "The equity curve has {count} missing values ({first} … {last}): leading ones are "
        "dropped, later ones carry the last value forward (no change on those bars).",
        "净值曲线有 {count} 个缺失值（{first} … {last}）："
        "开头的已剔除，其后的沿用前值（视为当日无变动）。",
    ),
    "note_no_trades": (
        "No trades: the trade list and fees are empty.",
        "没有成交：成交记录与费用为空。",
    ),
    "note_no_positions": (
        "No positions recorded: exposure and turnover are left out.",
        "没有持仓记录：仓位与换手率未计算。",
    ),
    "note_short": (
        "Only {n} bars: rolling windows of {window} days are left out.",
        "仅 {n} 个交易日：{window} 日滚动指标未计算。",
    ),
    "na": ("n/a", "不适用"),
    # generated by
    "generated": (
        "Generated by quantlib {version} on {when}",
        "由 quantlib {version} 生成于 {when}",
    ),
}

#: Metric labels, key -> (English, Chinese), in the order reports show them.
METRICS: dict[str, tuple[str, str]] = {
    "total_return": ("Total return", "总收益率"),
    "annual_return": ("Annual return", "年化收益率"),
    "volatility": ("Volatility", "年化波动率"),
    "sharpe": ("Sharpe ratio", "夏普比率"),
    "sortino": ("Sortino ratio", "索提诺比率"),
    "calmar": ("Calmar ratio", "卡玛比率"),
    "max_drawdown": ("Max drawdown", "最大回撤"),
    "max_drawdown_days": ("Max drawdown length (days)", "最大回撤持续天数"),
    "var": ("Daily VaR", "日风险价值（VaR）"),
    "cvar": ("Daily CVaR", "日条件风险价值（CVaR）"),
    "excess_return": ("Excess return", "超额收益"),
    "tracking_error": ("Tracking error", "跟踪误差"),
    "information_ratio": ("Information ratio", "信息比率"),
    "alpha": ("Alpha", "阿尔法"),
    "beta": ("Beta", "贝塔"),
    "win_rate": ("Win rate", "胜率"),
    "profit_factor": ("Profit factor", "盈亏比（总盈利 / 总亏损）"),
    "payoff_ratio": ("Payoff ratio", "平均盈亏比"),
    "avg_win": ("Average win (yuan)", "平均盈利（元）"),
    "avg_loss": ("Average loss (yuan)", "平均亏损（元）"),
    "avg_holding_days": ("Average holding (days)", "平均持仓天数"),
    "n_round_trips": ("Round trips", "完整交易次数"),
    "turnover": ("Annual turnover", "年化换手率"),
    "exposure": ("Average exposure", "平均仓位"),
    "time_in_market": ("Time in market", "持仓时间占比"),
    "final_equity": ("Final equity (yuan)", "期末权益（元）"),
    "n_bars": ("Bars", "交易日数"),
    "n_trades": ("Trades", "成交笔数"),
    "total_fees": ("Total fees (yuan)", "总费用（元）"),
}

#: Metrics shown as percentages.
PERCENT = frozenset(
    {
        "total_return",
        "annual_return",
        "volatility",
        "max_drawdown",
        "var",
        "cvar",
        "excess_return",
        "tracking_error",
        "alpha",
        "win_rate",
        "turnover",
        "exposure",
        "time_in_market",
    }
)

#: Metrics where a smaller value is better (the rest: larger is better, or neutral).
LOWER_IS_BETTER = frozenset({"volatility", "tracking_error", "max_drawdown_days", "total_fees"})
#: Metrics that are negative numbers where closer to zero is better.
CLOSER_TO_ZERO_IS_BETTER = frozenset({"max_drawdown", "var", "cvar"})
#: Metrics with no better direction.
NEUTRAL = frozenset({"beta", "n_bars", "n_trades", "n_round_trips", "avg_holding_days"})


def report_language(language: str | None = None) -> str:
    """The language of a report: ``language`` if given, else the settings, else Chinese.

    Raises
    ------
    ReportError
        If ``language`` (or the setting) is neither ``"zh"`` nor ``"en"``.
    """
    chosen = language
    if chosen is None:
        chosen = os.environ.get("QUANTLIB_REPORT_LANG") or os.environ.get("QUANTLIB_LANG") or "zh"
    chosen = chosen.strip().lower()
    if chosen not in LANGUAGES:
        raise ReportError(
            f"report language must be 'zh' or 'en', got {chosen!r} / 报告语言须为 zh 或 en"
        )
    return chosen


class Labels:
    """Report text in one language: ``labels["sec_equity"]``, ``labels.metric("sharpe")``."""

    def __init__(self, language: str | None = None) -> None:
        self.language = report_language(language)
        self._index = 1 if self.language == "zh" else 0

    def __getitem__(self, key: str) -> str:
        return TEXT[key][self._index]

    def format(self, key: str, **values: object) -> str:
        """The text for ``key`` with ``values`` filled in."""
        return self[key].format(**values)

    def metric(self, name: str) -> str:
        """The label of a metric (its name when it has none)."""
        pair = METRICS.get(name)
        return pair[self._index] if pair else name

    def month(self, number: int) -> str:
        """Short month name: ``1月`` or ``Jan``."""
        if self.language == "zh":
            return f"{number}月"
        return ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
            number - 1
        ]


__all__ = [
    "CLOSER_TO_ZERO_IS_BETTER",
    "LANGUAGES",
    "LOWER_IS_BETTER",
    "METRICS",
    "NEUTRAL",
    "PERCENT",
    "TEXT",
    "Labels",
    "report_language",
]
