"""Strategy forms: a script (JoinQuant/PTrade style functions) or a class.

A script is executed afresh for every run in a namespace of its own, with the API
(``order``, ``order_target``, ``get_history``, ``set_universe``, ``run_daily``, ``g``,
``log`` ...) bound to that run's context. So a PTrade-style file runs unchanged, and
two runs never share state.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from quantlib.backtest.context import Context, StrategyError
from quantlib.backtest.result import code_hash
from quantlib.core.errors import ConfigError

HOOKS = ("initialize", "before_trading_start", "handle_data", "after_trading_end")

#: Names a script sees as globals, each bound to the run's context.
SCRIPT_API = (
    "order",
    "order_target",
    "order_value",
    "order_target_value",
    "order_target_percent",
    "cancel_order",
    "get_open_orders",
    "get_order",
    "get_orders",
    "get_position",
    "get_positions",
    "get_history",
    "set_universe",
    "set_benchmark",
    "set_commission",
    "set_slippage",
    "run_daily",
)


class Strategy:
    """The class form: subclass, set ``params`` defaults, override the hooks.

    The hooks receive the run's :class:`~quantlib.backtest.context.Context`; orders go
    through it (``context.order_target_percent(...)``). ``self`` may hold state, but a
    fresh instance is made for every run when the class (not an instance) is passed.
    """

    name: str = ""
    params: Mapping[str, Any] = {}

    def initialize(self, context: Context) -> None:
        """Called once before the first bar."""

    def before_trading_start(self, context: Context, data: Any) -> None:
        """Called at the start of each trading day."""

    def handle_data(self, context: Context, data: Any) -> None:
        """Called at each bar's close."""

    def after_trading_end(self, context: Context, data: Any) -> None:
        """Called after each trading day's last bar."""


class Hooks:
    """The bound hooks of one run."""

    def __init__(self, functions: Mapping[str, Callable[..., Any] | None]) -> None:
        self.functions = dict(functions)

    def call(self, hook: str, context: Context, data: Any) -> None:
        """Call ``hook`` if the strategy has it (with ``data`` when it takes two args)."""
        fn = self.functions.get(hook)
        if fn is None:
            return
        if hook == "initialize" or _arity(fn) < 2:
            fn(context)
        else:
            fn(context, data)

    def two_argument(self, hook: str) -> Callable[[Context, Any], Any] | None:
        """``hook`` as a ``fn(context, data)`` callable (for the per-bar hot path)."""
        fn = self.functions.get(hook)
        if fn is None or _arity(fn) >= 2:
            return fn
        return lambda context, _data: fn(context)

    def has(self, hook: str) -> bool:
        """True when the strategy defines ``hook``."""
        return self.functions.get(hook) is not None


def _arity(fn: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 2
    return sum(
        p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in parameters
    )


class LoadedStrategy:
    """A strategy in either form, ready to bind to runs."""

    def __init__(
        self,
        name: str,
        source: str,
        defaults: Mapping[str, Any],
        binder: Callable[[Context], Hooks],
        universe: list[str] | None = None,
    ) -> None:
        self.name = name
        self.source = source
        self.defaults = dict(defaults)
        self._binder = binder
        self.universe = universe

    @property
    def code_hash(self) -> str:
        """SHA-256 of the strategy's source."""
        return code_hash(self.source)

    def bind(self, context: Context) -> Hooks:
        """The hooks of a new run, bound to ``context``."""
        return self._binder(context)

    def resolve_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overridden by ``given``; unknown names and wrong types are errors."""
        params = dict(self.defaults)
        for key, value in (given or {}).items():
            if self.defaults and key not in self.defaults:
                known = ", ".join(sorted(self.defaults)) or "none"
                raise ConfigError(f"strategy {self.name} has no parameter {key!r} (known: {known})")
            default = self.defaults.get(key)
            params[key] = _coerce(key, value, default)
        return params


def _coerce(key: str, value: Any, default: Any) -> Any:
    if default is None or isinstance(value, type(default)):
        return value
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
    elif isinstance(default, int | float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(default, int) and float(value) != int(value):
                raise ConfigError(f"parameter {key!r} must be an integer, got {value!r}")
            return type(default)(value)
        if isinstance(value, str):
            try:
                return type(default)(value)
            except ValueError:
                pass
    elif isinstance(default, str):
        return str(value)
    raise ConfigError(
        f"parameter {key!r} must be {type(default).__name__} like its default {default!r}, "
        f"got {value!r}"
    )


def _script_binder(source: str, filename: str) -> Callable[[Context], Hooks]:
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:
        raise StrategyError(
            f"strategy {filename} does not compile: {error.msg} (line {error.lineno})"
        ) from None

    def bind(context: Context) -> Hooks:
        namespace: dict[str, Any] = {"__name__": "__strategy__", "__file__": filename}
        for name in SCRIPT_API:
            namespace[name] = getattr(context, name)
        namespace["g"] = context.g
        namespace["log"] = context.log
        try:
            exec(code, namespace)
        except Exception as error:
            raise StrategyError(f"strategy {filename} failed while loading: {error!r}") from error
        if not callable(namespace.get("initialize")):
            raise StrategyError(f"strategy {filename} defines no initialize(context)")
        if not callable(namespace.get("handle_data")) and "run_daily" not in source:
            raise StrategyError(f"strategy {filename} defines no handle_data(context, data)")
        return Hooks({hook: namespace.get(hook) for hook in HOOKS})

    return bind


def script_metadata(source: str, filename: str) -> tuple[dict[str, Any], list[str] | None]:
    """``PARAMS`` and ``UNIVERSE`` constants of a script, read without running it."""
    import ast

    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise StrategyError(
            f"strategy {filename} does not compile: {error.msg} (line {error.lineno})"
        ) from None
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("PARAMS", "UNIVERSE"):
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    raise StrategyError(
                        f"{target.id} in {filename} must be a literal (line {node.lineno})"
                    ) from None
    params = found.get("PARAMS", {})
    if not isinstance(params, dict):
        raise StrategyError(f"PARAMS in {filename} must be a dict")
    universe = found.get("UNIVERSE")
    if universe is not None and not (
        isinstance(universe, list | tuple) and all(isinstance(s, str) for s in universe)
    ):
        raise StrategyError(f"UNIVERSE in {filename} must be a list of symbols")
    return params, None if universe is None else list(universe)


def _class_binder(strategy: Strategy | type[Strategy]) -> Callable[[Context], Hooks]:
    def bind(context: Context) -> Hooks:
        instance = strategy() if isinstance(strategy, type) else strategy
        functions: dict[str, Callable[..., Any] | None] = {}
        for hook in HOOKS:
            method = getattr(instance, hook, None)
            base = getattr(Strategy, hook, None)
            overridden = method is not None and getattr(method, "__func__", None) is not base
            functions[hook] = method if overridden else None
        return Hooks(functions)

    return bind


def load_strategy(strategy: Any, *, name: str | None = None) -> LoadedStrategy:
    """A strategy from a file path, a source string, a module, a :class:`Strategy`
    subclass or instance, or an already loaded one."""
    if isinstance(strategy, LoadedStrategy):
        return strategy
    if isinstance(strategy, Path) or (
        isinstance(strategy, str) and "\n" not in strategy and strategy.endswith(".py")
    ):
        path = Path(strategy)
        if not path.is_file():
            raise ConfigError(f"strategy file {path} does not exist")
        source = path.read_text(encoding="utf-8")
        return from_source(source, name=name or path.stem, filename=str(path))
    if isinstance(strategy, str):
        return from_source(strategy, name=name or "script")
    if isinstance(strategy, ModuleType):
        try:
            source = inspect.getsource(strategy)
        except (OSError, TypeError):
            raise ConfigError(f"cannot read the source of module {strategy.__name__}") from None
        return from_source(source, name=name or strategy.__name__.rsplit(".", 1)[-1])
    if isinstance(strategy, Strategy) or (
        isinstance(strategy, type) and issubclass(strategy, Strategy)
    ):
        cls = strategy if isinstance(strategy, type) else type(strategy)
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            source = cls.__qualname__
        label = name or strategy.name or cls.__name__
        return LoadedStrategy(label, source, dict(strategy.params), _class_binder(strategy))
    raise ConfigError(
        "a strategy is a .py path, source text, a module, or a Strategy subclass/instance; "
        f"got {type(strategy).__name__}"
    )


def from_source(
    source: str, *, name: str = "script", filename: str | None = None
) -> LoadedStrategy:
    """A script strategy from its source text."""
    label = filename or f"<{name}>"
    params, universe = script_metadata(source, label)
    return LoadedStrategy(name, source, params, _script_binder(source, label), universe)


def strategy_logger(name: str) -> logging.Logger:
    """The logger a strategy's ``log`` writes to."""
    return logging.getLogger(f"quantlib.strategy.{name}")


__all__ = [
    "HOOKS",
    "SCRIPT_API",
    "Hooks",
    "LoadedStrategy",
    "Strategy",
    "from_source",
    "load_strategy",
    "script_metadata",
    "strategy_logger",
]
