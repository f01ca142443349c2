"""A deterministic synthetic A-share market: the embedded default source.

It looks like the real market where that matters to code that reads it: every board
(SH/SZ main, ChiNext, STAR, BSE) with its own codes, limits and lots; ST names; IPOs with
their no-limit days; delistings; suspensions; limit-up and limit-down days, one-price
limit boards included; cash dividends and bonus shares with ex-rights reference prices
and adjustment factors; a CSI 300-like index; one-minute bars for a subset.

Everything is a function of ``(seed, n_symbols, start)``, and each trading day's random
draws depend only on the seed and the day's position, so the market is *prefix-stable*:
a store built for 500 days and then updated by 20 holds exactly what a 520-day build
holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from quantlib.core.dates import SHANGHAI, to_date
from quantlib.core.errors import ConfigError, DataValidationError
from quantlib.data.derive import day_index, limit_bands, listing_rules
from quantlib.data.panel import Panel
from quantlib.data.sources.base import (
    DAILY_COLUMNS,
    FACTOR_COLUMNS,
    INSTRUMENT_COLUMNS,
    MINUTE_COLUMNS,
    DataSource,
)
from quantlib.market.boards import Board
from quantlib.market.calendar import TradingCalendar, default_calendar

INDEX_SYMBOL = "000300.SH"
#: Well-known codes every demo market contains (listed before its start, or at their board's
#: launch; first to get minute bars), so examples can name them. Only the codes are real:
#: names and prices are synthetic.
ANCHOR_SYMBOLS = (
    "000001.SZ",
    "600000.SH",
    "600519.SH",
    "300750.SZ",
    "688981.SH",
    "920118.BJ",
    "000858.SZ",
    "601318.SH",
)
DEFAULT_START = dt.date(2018, 1, 2)

_BOARD_SHARES = (
    ("SH", Board.MAIN, 0.32, ((600000, 601999), (603000, 603999), (605000, 605999))),
    ("SZ", Board.MAIN, 0.30, ((1, 3999),)),
    ("SZ", Board.CHINEXT, 0.22, ((300001, 301999),)),
    ("SH", Board.STAR, 0.11, ((688001, 688999),)),
    ("BJ", Board.BSE, 0.05, ((920001, 920999),)),
)
_BOARD_LAUNCH = {
    Board.MAIN: dt.date(1990, 12, 19),
    Board.CHINEXT: dt.date(2009, 10, 30),
    Board.STAR: dt.date(2019, 7, 22),
    Board.BSE: dt.date(2021, 11, 15),
}
_NAME_HEADS = list("华中国天金海东南新长宏远恒泰鼎盛安信达通兴永汇康")
_NAME_MIDS = list("科电能源材药芯光智航联创")
_NAME_TAILS = ["科技", "股份", "电子", "医药", "能源", "材料", "智能", "集团", "制造", "环境"]
_YEAR = 242  # trading days a year; ex-dividend dates recur on this cycle


@dataclass
class _Universe:
    symbols: np.ndarray
    names: np.ndarray
    kinds: np.ndarray
    boards: np.ndarray
    list_pos: np.ndarray  # calendar positions
    delist_pos: np.ndarray  # first calendar position no longer listed (huge if never)
    beta: np.ndarray
    vol: np.ndarray
    price0: np.ndarray
    float_shares: np.ndarray
    div_offset: np.ndarray
    st_start: np.ndarray  # calendar positions (huge if never)
    st_end: np.ndarray
    st_label: np.ndarray
    index_members: np.ndarray


class DemoSource(DataSource):
    """Seeded synthetic market; see the module docstring.

    Parameters
    ----------
    seed
        Random seed; same seed, same market.
    n_symbols
        Number of stocks (the index comes on top).
    start
        First trading day of the market.
    minute_symbols
        How many stocks (the first ones) have one-minute bars.

    Examples
    --------
    >>> source = DemoSource(seed=1, n_symbols=50)
    >>> source.instruments().kind.value_counts().to_dict()
    {'stock': 50, 'index': 1}
    """

    name: ClassVar[str] = "demo"
    endpoint: ClassVar[str] = "quantlib.data.sources.demo (synthetic)"
    _NEVER = np.iinfo(np.int64).max // 4

    def __init__(
        self,
        seed: int = 42,
        n_symbols: int = 3000,
        start: Any = DEFAULT_START,
        minute_symbols: int = 50,
        calendar: TradingCalendar | None = None,
    ) -> None:
        if not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"demo seed must be a non-negative integer, got {seed!r}")
        if not isinstance(n_symbols, int) or not 1 <= n_symbols <= 20000:
            raise ConfigError(f"demo n_symbols must be an integer in 1..20000, got {n_symbols!r}")
        if not isinstance(minute_symbols, int) or minute_symbols < 0:
            raise ConfigError(f"demo minute_symbols must be >= 0, got {minute_symbols!r}")
        self.seed, self.n_symbols = seed, n_symbols
        self.minute_symbols = min(minute_symbols, n_symbols)
        self.calendar = calendar or default_calendar()
        first = to_date(start, name="demo start")
        if not self.calendar.is_trading_day(first):
            first = self.calendar.next_trading_day(first)
        self.start = first
        self.start_pos = self.calendar.index_of(first)
        self.universe = self._build_universe()
        self._sim: dict[str, np.ndarray] = {}
        self._sim_days = 0

    def options(self) -> dict[str, Any]:
        """Constructor options that recreate this market (recorded in the store)."""
        return {
            "seed": self.seed,
            "n_symbols": self.n_symbols,
            "start": self.start.isoformat(),
            "minute_symbols": self.minute_symbols,
        }

    def describe(self) -> dict[str, Any]:
        """Identity for audit records."""
        return {**super().describe(), **self.options()}

    # -- the universe -------------------------------------------------------------------
    def _build_universe(self) -> _Universe:
        rng = np.random.default_rng([self.seed, 1])
        n = self.n_symbols
        shares = np.array([s for _, _, s, _ in _BOARD_SHARES])
        board_pick = rng.choice(len(_BOARD_SHARES), size=n, p=shares / shares.sum())
        symbols, boards = np.empty(n, dtype=object), np.empty(n, dtype=object)
        for b, (exchange, board, _share, ranges) in enumerate(_BOARD_SHARES):
            members = np.flatnonzero(board_pick == b)
            pool = np.concatenate([np.arange(low, high + 1) for low, high in ranges])
            anchors = [
                int(a[:6])
                for a in ANCHOR_SYMBOLS
                if a.endswith(exchange) and int(a[:6]) in set(pool.tolist())
            ][: members.size]
            rest = np.setdiff1d(pool, anchors)
            drawn = rng.choice(rest, size=members.size - len(anchors), replace=False)
            codes = np.sort(np.concatenate([np.asarray(anchors, dtype=np.int64), drawn]))
            symbols[members] = [f"{code:06d}.{exchange}" for code in codes]
            boards[members] = board.value
        order = np.argsort(symbols.astype(str), kind="stable")
        symbols, boards = symbols[order], boards[order]
        start_pos = self.start_pos
        # Listing: three quarters before the start, the rest IPO during the first decade.
        before = (rng.random(n) < 0.75) | np.isin(symbols, ANCHOR_SYMBOLS)
        list_pos = np.where(
            before, start_pos - rng.integers(20, 3000, n), start_pos + rng.integers(1, 2600, n)
        )
        launch = np.array([self._pos_on_or_after(_BOARD_LAUNCH[Board(b)]) for b in boards])
        list_pos = np.maximum(list_pos, np.maximum(launch, 0))
        delist_pos = np.full(n, self._NEVER, dtype=np.int64)
        leaving = before & (rng.random(n) < 0.02)
        delist_pos[leaving] = start_pos + rng.integers(200, 2400, int(leaving.sum()))
        st_start = np.full(n, self._NEVER, dtype=np.int64)
        st_end = np.full(n, self._NEVER, dtype=np.int64)
        st_label = np.full(n, "", dtype=object)
        st_start[leaving] = delist_pos[leaving] - 60
        st_end[leaving] = delist_pos[leaving] - 1
        st_label[leaving] = "*ST"
        flagged = ~leaving & before & (rng.random(n) < 0.05)
        begin = start_pos + rng.integers(0, 2000, n)
        st_start[flagged] = begin[flagged]
        st_end[flagged] = begin[flagged] + rng.integers(100, 500, n)[flagged]
        st_label[flagged] = np.where(rng.random(n) < 0.5, "ST", "*ST")[flagged]
        names = np.array(
            [
                (
                    "".join(rng.choice(_NAME_HEADS, 1))
                    + "".join(rng.choice(_NAME_MIDS, 1))
                    + str(rng.choice(_NAME_TAILS))
                )
                for _ in range(n)
            ],
            dtype=object,
        )
        float_shares = np.exp(rng.normal(np.log(3e8), 1.0, n)).round(-2)
        members = np.argsort(-np.where(before, float_shares, 0), kind="stable")[
            : min(300, max(n // 3, 1))
        ]
        universe = _Universe(
            symbols=np.append(symbols, INDEX_SYMBOL),
            names=np.append(names, "沪深300(模拟)"),
            kinds=np.append(np.full(n, "stock", dtype=object), "index"),
            boards=np.append(boards, ""),
            list_pos=np.append(list_pos, start_pos - 1).astype(np.int64),
            delist_pos=np.append(delist_pos, self._NEVER),
            beta=np.append(rng.uniform(0.6, 1.4, n), 1.0),
            vol=np.append(rng.uniform(0.010, 0.028, n), 0.0),
            price0=np.append(
                np.clip(np.exp(rng.normal(np.log(12.0), 0.7, n)), 2.5, 300).round(2), 3500.0
            ),
            float_shares=np.append(float_shares, 0.0),
            div_offset=np.append(rng.integers(0, _YEAR, n), -1),
            st_start=np.append(st_start, self._NEVER),
            st_end=np.append(st_end, self._NEVER),
            st_label=np.append(st_label, ""),
            index_members=members,
        )
        return universe

    def _pos_on_or_after(self, date: dt.date) -> int:
        return int(np.searchsorted(self.calendar.days, np.datetime64(date, "D")))

    def _date_at(self, pos: np.ndarray) -> np.ndarray:
        days = self.calendar.days
        inside = (pos >= 0) & (pos < days.size)
        out = np.full(pos.shape, np.datetime64("NaT", "D"), dtype="datetime64[D]")
        out[inside] = days[pos[inside]]
        return out

    # -- DataSource ---------------------------------------------------------------------
    def trading_days(self, start: dt.date, end: dt.date) -> np.ndarray:
        """Calendar days in range, from the market's start on."""
        days = self.calendar.trading_days(max(start, self.start), end)
        return days

    def instruments(self) -> pd.DataFrame:
        """Every instrument of the market, with its listing and delisting dates."""
        u = self.universe
        list_dates = self._date_at(u.list_pos)
        before = u.list_pos < 0
        list_dates[before] = self.calendar.days[0]
        frame = pd.DataFrame(
            {
                "symbol": u.symbols,
                "name": u.names,
                "kind": u.kinds,
                "list_date": list_dates.astype("datetime64[s]"),
                "delist_date": self._date_at(
                    np.where(u.delist_pos >= self._NEVER, -1, u.delist_pos)
                ).astype("datetime64[s]"),
            }
        )
        return frame[list(INSTRUMENT_COLUMNS)]

    def st_intervals(self) -> pd.DataFrame:
        """ST periods (some end in delisting)."""
        u = self.universe
        rows = np.flatnonzero(u.st_start < self._NEVER)
        end = np.minimum(u.st_end[rows], self.calendar.days.size - 1)
        return pd.DataFrame(
            {
                "symbol": u.symbols[rows],
                "start": self._date_at(u.st_start[rows]).astype("datetime64[s]"),
                "end": self._date_at(end).astype("datetime64[s]"),
                "label": u.st_label[rows],
            }
        )

    def daily_panel(self, days: np.ndarray, symbols: np.ndarray) -> Panel:
        """Raw daily fields for ``days`` x ``symbols`` straight from the simulation."""
        rows = self._rows(days)
        columns = pd.Index(self.universe.symbols).get_indexer(pd.Index(symbols))
        if (columns < 0).any():
            raise DataValidationError(
                f"symbols not in the demo market: {np.asarray(symbols)[columns < 0][:5].tolist()}"
            )
        fields = {
            name: self._sim[name][np.ix_(rows, columns)]
            for name in (
                "open",
                "high",
                "low",
                "close",
                "preclose",
                "volume",
                "amount",
                "adj_factor",
            )
        }
        return Panel(days.astype("datetime64[D]"), np.asarray(symbols, dtype=object), fields)

    def daily_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Daily bars as a long frame (suspended and unlisted days have no row)."""
        days = self.trading_days(start, end)
        chosen = np.asarray(symbols if symbols is not None else self.universe.symbols, dtype=object)
        panel = self.daily_panel(days, chosen)
        traded = panel.fields["volume"] > 0
        rows, cols = np.nonzero(traded)
        frame = pd.DataFrame({"date": days[rows].astype("datetime64[s]"), "symbol": chosen[cols]})
        for name in DAILY_COLUMNS[2:]:
            frame[name] = panel.fields[name][rows, cols]
        return frame

    def adj_factors(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Cumulative back-adjustment factors for listed days."""
        days = self.trading_days(start, end)
        chosen = np.asarray(symbols if symbols is not None else self.universe.symbols, dtype=object)
        factor = self.daily_panel(days, chosen).fields["adj_factor"]
        rows, cols = np.nonzero(np.isfinite(factor))
        return pd.DataFrame(
            {
                "date": days[rows].astype("datetime64[s]"),
                "symbol": chosen[cols],
                "adj_factor": factor[rows, cols],
            }
        )[list(FACTOR_COLUMNS)]

    def first_day(self) -> dt.date:
        """The market's first trading day."""
        return self.start

    def default_minute_symbols(self) -> list[str]:
        """The stocks with minute bars."""
        return [str(s) for s in self.minute_symbol_list()]

    def minute_symbol_list(self) -> np.ndarray:
        """The stocks that have minute bars: the well-known codes first, then the others."""
        stocks = self.universe.symbols[self.universe.kinds == "stock"]
        anchors = [s for s in ANCHOR_SYMBOLS if s in set(stocks.tolist())]
        ordered = np.concatenate(
            [np.asarray(anchors, dtype=object), stocks[~np.isin(stocks, anchors)]]
        )
        return ordered[: self.minute_symbols]

    def minute_bars(
        self, start: dt.date, end: dt.date, symbols: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One-minute bars as a long frame (bar-end times, aware, Asia/Shanghai)."""
        panel = self.minute_panel(self.trading_days(start, end), symbols)
        rows, cols = np.nonzero(panel.fields["volume"] > 0)
        times = pd.DatetimeIndex(panel.days[rows]).tz_localize(SHANGHAI)
        frame = pd.DataFrame({"time": times, "symbol": panel.symbols[cols]})
        for name in MINUTE_COLUMNS[2:]:
            frame[name] = panel.fields[name][rows, cols]
        return frame

    def minute_panel(self, days: np.ndarray, symbols: Sequence[str] | None = None) -> Panel:
        """Minute bars for trading ``days`` as a panel of naive Shanghai bar-end times."""
        allowed = self.minute_symbol_list()
        chosen = np.asarray(symbols if symbols is not None else allowed, dtype=object)
        unknown = sorted(set(chosen.tolist()) - set(allowed.tolist()))
        if unknown:
            raise DataValidationError(f"the demo market has no minute bars for {unknown[:5]}")
        columns = pd.Index(self.universe.symbols).get_indexer(pd.Index(chosen))
        rows = self._rows(days)
        parts = [self._minute_day(int(r), columns) for r in rows]
        times = np.concatenate([p[0] for p in parts]) if parts else np.array([], "datetime64[ns]")
        fields = {
            name: (
                np.concatenate([p[1][name] for p in parts]) if parts else np.empty((0, len(chosen)))
            )
            for name in ("open", "high", "low", "close", "volume", "amount")
        }
        fields["volume"] = fields["volume"].astype(np.int64)
        return Panel(times, chosen, fields)

    # -- simulation ----------------------------------------------------------------------
    def _rows(self, days: np.ndarray) -> np.ndarray:
        positions = day_index(self.calendar, np.asarray(days).astype("datetime64[D]"))
        rows = positions - self.start_pos
        if rows.size and rows.min() < 0:
            raise DataValidationError(f"the demo market starts on {self.start}")
        if rows.size:
            self._simulate(int(rows.max()) + 1)
        return rows

    def _simulate(self, n_days: int) -> None:
        if n_days <= self._sim_days:
            return
        u = self.universe
        n = u.symbols.size
        stock = u.kinds == "stock"
        names = ("open", "high", "low", "close", "preclose", "amount", "adj_factor")
        out = {k: np.full((n_days, n), np.nan) for k in names}
        out["volume"] = np.zeros((n_days, n), dtype=np.int64)
        close_prev = np.full(n, np.nan)
        close_prev[u.list_pos < self.start_pos] = u.price0[u.list_pos < self.start_pos]
        factor = np.ones(n)
        suspended_left = np.zeros(n, dtype=np.int64)
        days = self.calendar.days[self.start_pos : self.start_pos + n_days]
        if days.size < n_days:
            raise DataValidationError(f"the trading calendar ends {self.calendar.last}")
        list_dates = self._date_at(u.list_pos)
        rules = listing_rules(
            u.boards, np.where(u.list_pos < 0, self.calendar.days[0], list_dates), self.calendar
        )
        for t in range(n_days):
            pos = self.start_pos + t
            rng = np.random.default_rng([self.seed, 7, t])
            market = rng.normal(0.0003, 0.011)
            z = rng.standard_normal((5, n))
            u_event = rng.random((4, n))
            listed = (u.list_pos <= pos) & (pos < u.delist_pos)
            ipo = u.list_pos == pos
            age = pos - u.list_pos
            # suspensions: ongoing, or starting today
            ongoing = suspended_left > 0
            suspended_left[ongoing] -= 1
            starts = listed & stock & ~ongoing & ~ipo & (age >= 5) & (u_event[0] < 0.0015)
            suspended_left[starts] = np.minimum(rng.geometric(0.35, n)[starts] - 1, 30)
            suspended = listed & stock & (ongoing | starts)
            # corporate actions on the yearly ex-date
            ex = (
                listed
                & stock
                & ~ipo
                & (u.div_offset >= 0)
                & ((t - u.div_offset) % _YEAR == 0)
                & (u_event[1] < 0.6)
                & np.isfinite(close_prev)
            )
            cash = np.where(ex, np.round(close_prev * (0.005 + 0.025 * u_event[2]), 2), 0.0)
            bonus = np.where(ex & (u_event[3] < 0.08), 1.0, 0.0)
            reference = np.where(ex, np.round((close_prev - cash) / (1 + bonus), 2), close_prev)
            factor = np.where(ex, factor * close_prev / reference, factor)
            issue = np.round(np.clip(u.price0 * 0.6, 3.0, 60.0), 2)
            preclose = np.where(ipo, issue, reference)
            preclose[~listed] = np.nan
            st_today = ((u.st_start <= pos) & (pos <= u.st_end)).astype(np.int8)[None, :]
            up, down = limit_bands(
                preclose[None, :], st_today, days[t : t + 1], rules, self.calendar
            )
            up, down = up[0], down[0]
            trading = listed & ~suspended
            # a slow pull towards each stock's own price level keeps prices realistic
            known = np.where(np.isfinite(close_prev), close_prev, u.price0)
            pull = 0.004 * np.log(u.price0 / known)
            ret = u.beta * market + u.vol * z[0] + np.where(stock, pull, 0.0)
            ret = np.where(ipo, np.where(np.isfinite(up), 0.6, 0.2 + 1.2 * u_event[2]), ret)
            close = preclose * np.exp(ret)
            opening = preclose * np.exp(0.35 * ret + 0.4 * u.vol * z[1])
            has_limit = np.isfinite(up)
            one_up = trading & stock & has_limit & (u_event[0] > 0.9965)
            one_down = trading & stock & has_limit & (u_event[0] < 0.0015) & ~starts
            close = np.where(has_limit, np.clip(close, down, up), close)
            opening = np.where(has_limit, np.clip(opening, down, up), opening)
            close = np.where(one_up, up, np.where(one_down, down, close))
            opening = np.where(one_up, up, np.where(one_down, down, opening))
            c_fen, o_fen = np.rint(close * 100), np.rint(opening * 100)
            spread = np.abs(z[2:4]) * 0.45 * np.where(stock, u.vol, 0.006)
            h_fen = np.maximum(
                np.rint(np.maximum(close, opening) * (1 + spread[0]) * 100),
                np.maximum(c_fen, o_fen),
            )
            l_fen = np.minimum(
                np.rint(np.minimum(close, opening) * (1 - spread[1]) * 100),
                np.minimum(c_fen, o_fen),
            )
            if has_limit.any():
                h_fen = np.where(has_limit, np.minimum(h_fen, np.rint(up * 100)), h_fen)
                l_fen = np.where(has_limit, np.maximum(l_fen, np.rint(down * 100)), l_fen)
            flat = one_up | one_down
            h_fen = np.where(flat, c_fen, h_fen)
            l_fen = np.where(flat, c_fen, l_fen)
            turnover = np.exp(np.log(0.012) + 0.5 * z[4]) * np.where(flat, 0.15, 1.0)
            volume = np.maximum(np.rint(u.float_shares * turnover / 100) * 100, 100).astype(
                np.int64
            )
            vwap_fen = (o_fen + h_fen + l_fen + c_fen) / 4.0
            amount = np.round(volume * vwap_fen / 100.0, 2)
            # the index: mean return of its members that trade today
            members = u.index_members[trading[u.index_members]]
            index_col = n - 1
            prev_level = close_prev[index_col]
            if members.size:
                rets = c_fen[members] / 100.0 / preclose[members] - 1
                gaps = o_fen[members] / 100.0 / preclose[members] - 1
                level = prev_level * (1 + rets.mean())
                level_open = prev_level * (1 + gaps.mean())
            else:
                level = level_open = prev_level
            wiggle = abs(z[2, index_col]) * 0.004
            o_fen[index_col], c_fen[index_col] = np.rint(level_open * 100), np.rint(level * 100)
            h_fen[index_col] = np.rint(max(level, level_open) * (1 + wiggle) * 100)
            l_fen[index_col] = np.rint(min(level, level_open) * (1 - wiggle) * 100)
            volume[index_col] = volume[members].sum() if members.size else 0
            amount[index_col] = amount[members].sum() if members.size else 0.0
            preclose[index_col] = prev_level
            trading[index_col] = True
            for key, values in (("open", o_fen), ("high", h_fen), ("low", l_fen), ("close", c_fen)):
                out[key][t] = np.where(trading, values / 100.0, np.nan)
            out["preclose"][t] = preclose
            out["volume"][t] = np.where(trading, volume, 0)
            out["amount"][t] = np.where(trading, amount, 0.0)
            out["adj_factor"][t] = np.where(listed, factor, np.nan)
            close_prev = np.where(trading, c_fen / 100.0, close_prev)
        self._sim = out
        self._sim_days = n_days

    def _minute_day(
        self, row: int, columns: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        day = dt.date.fromisoformat(str(self.calendar.days[self.start_pos + row]))
        ends = self.calendar.minute_bar_ends(day).tz_localize(None).to_numpy()
        k = columns.size
        sim = self._sim
        o, h, lo, c = (sim[f][row, columns] for f in ("open", "high", "low", "close"))
        volume = sim["volume"][row, columns]
        rng = np.random.default_rng([self.seed, 11, row])
        steps = rng.standard_normal((240, k)).cumsum(axis=0)
        fraction = np.arange(1, 241)[:, None] / 240.0
        bridge = steps - fraction * steps[-1:]
        scale = np.where(
            np.ptp(bridge, axis=0) > 0, (h - lo) / np.maximum(np.ptp(bridge, axis=0), 1e-9), 0
        )
        path = o + (c - o) * fraction + bridge * scale * 0.5
        path = np.clip(path, lo, h)
        path[-1] = c
        closes = np.rint(path * 100) / 100
        opens = np.vstack([o[None, :], closes[:-1]])
        highs = np.maximum(opens, closes)
        lows = np.minimum(opens, closes)
        top, bottom = np.argmax(highs, axis=0), np.argmin(lows, axis=0)
        highs[top, np.arange(k)] = np.where(np.isfinite(h), h, highs[top, np.arange(k)])
        lows[bottom, np.arange(k)] = np.where(np.isfinite(lo), lo, lows[bottom, np.arange(k)])
        weights = 1.0 + 2.0 * ((np.arange(240) - 119.5) / 120.0) ** 2
        lots = np.zeros((240, k), dtype=np.int64)
        for j in range(k):
            if volume[j] > 0:
                lots[:, j] = rng.multinomial(int(volume[j] // 100), weights / weights.sum())
        bar_volume = lots * 100
        amount = np.round(bar_volume * (opens + highs + lows + closes) / 4.0, 2)
        traded = volume > 0
        fields = {
            "open": np.where(traded, opens, np.nan),
            "high": np.where(traded, highs, np.nan),
            "low": np.where(traded, lows, np.nan),
            "close": np.where(traded, closes, np.nan),
            "volume": bar_volume,
            "amount": np.where(traded, amount, 0.0),
        }
        return ends.astype("datetime64[ns]"), fields
