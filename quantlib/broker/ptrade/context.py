"""What a PTrade script sees besides the API functions: ``g``, ``context`` (with its
portfolio and blotter) and the ``data`` of ``handle_data``, over a backtest run."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import TYPE_CHECKING, Any

from quantlib.backtest.context import BarData, Context, StrategyError
from quantlib.broker.ptrade.codes import to_ptrade_code
from quantlib.broker.ptrade.messages import text as _t
from quantlib.broker.ptrade.objects import PTradePosition, SecurityUnitData

if TYPE_CHECKING:
    from quantlib.broker.ptrade.compat import PTradeApi


class PTradeGlobal:
    """PTrade's ``g``. PTrade pickles it after each lifecycle callback and restores it on
    restart; attributes whose names start with ``__`` are not saved."""

    def persisted_state(self) -> dict[str, Any]:
        """The attributes PTrade would save."""
        return {k: v for k, v in vars(self).items() if not k.startswith("__")}

    def check_persistable(self) -> None:
        """Raise :class:`StrategyError` naming the first attribute PTrade could not save."""
        for name, value in self.persisted_state().items():
            try:
                pickle.dumps(value)
            except Exception as error:
                raise StrategyError(_t("g_pickle", name=name, error=error)) from None

    def __repr__(self) -> str:
        return f"g({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class PTradeBlotter:
    """``context.blotter``: the current time."""

    def __init__(self, context: Context) -> None:
        self._context = context

    @property
    def current_dt(self) -> dt.datetime:
        """Time of the current bar."""
        return self._context.current_dt.to_pydatetime()


class PTradePortfolio:
    """``context.portfolio``: cash, values and positions keyed by PTrade code."""

    def __init__(self, api: PTradeApi) -> None:
        self._api = api
        self._portfolio = api.context.portfolio

    @property
    def cash(self) -> float:
        """Available cash."""
        return self._portfolio.cash

    @property
    def total_value(self) -> float:
        """Cash plus holdings."""
        return self._portfolio.total_value

    portfolio_value = total_value

    @property
    def positions_value(self) -> float:
        """Market value of all holdings."""
        return self._portfolio.positions_value

    @property
    def starting_cash(self) -> float:
        """Cash at the start of the run."""
        return self._portfolio.starting_cash

    capital_base = starting_cash

    @property
    def pnl(self) -> float:
        """Profit since the start."""
        return self.total_value - self.starting_cash

    @property
    def returns(self) -> float:
        """Return since the start, as a fraction."""
        return self.pnl / self.starting_cash

    @property
    def positions(self) -> dict[str, PTradePosition]:
        """Holdings by PTrade code."""
        return {
            to_ptrade_code(symbol): self._api.position_of(symbol)
            for symbol in self._portfolio.positions
        }


class PTradeContext:
    """The ``context`` a PTrade script sees. Strategy code may set its own attributes;
    reading one PTrade does not have is an AttributeError that says so."""

    def __init__(self, api: PTradeApi) -> None:
        self._api = api
        self.portfolio = PTradePortfolio(api)
        self.blotter = PTradeBlotter(api.context)

    @property
    def current_dt(self) -> dt.datetime:
        """Time of the current bar."""
        return self.blotter.current_dt

    @property
    def previous_date(self) -> dt.date | None:
        """The previous bar's date (None on the first bar)."""
        previous = self._api.context.previous_date
        return None if previous is None else previous.date()

    @property
    def capital_base(self) -> float:
        """Cash at the start of the run."""
        return self.portfolio.starting_cash

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(_t("no_context_attribute", name=name))


class PTradeData:
    """The ``data`` of ``handle_data``: ``data[code]`` is a :class:`SecurityUnitData`."""

    def __init__(self, api: PTradeApi, bar: BarData) -> None:
        self._api = api
        self._bar = bar

    def __getitem__(self, code: str) -> SecurityUnitData:
        return self._api.unit(code, self._bar.t)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._api.column_of(code) is not None

    def keys(self) -> list[str]:
        """The universe's PTrade codes."""
        return [to_ptrade_code(s) for s in self._api.context.universe]

    def __iter__(self) -> Any:
        return iter(self.keys())

    def items(self) -> list[tuple[str, SecurityUnitData]]:
        """``(code, bar)`` for the universe."""
        return [(code, self[code]) for code in self.keys()]


__all__ = ["PTradeBlotter", "PTradeContext", "PTradeData", "PTradeGlobal", "PTradePortfolio"]
