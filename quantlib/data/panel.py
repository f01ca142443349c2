"""Date x symbol arrays: the in-memory form of daily data between sources and the store."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantlib.core.errors import DataValidationError


@dataclass
class Panel:
    """Arrays of shape ``(len(days), len(symbols))``, one per field.

    ``days`` are ``datetime64[D]`` (or ``datetime64[ns]`` bar times for minute data),
    sorted and unique; ``symbols`` are canonical codes.
    """

    days: np.ndarray
    symbols: np.ndarray
    fields: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.symbols = np.asarray(self.symbols, dtype=object)
        shape = self.shape
        for name, values in self.fields.items():
            if values.shape != shape:
                raise DataValidationError(
                    f"field {name!r} has shape {values.shape}, expected {shape} (days x symbols)"
                )
        if len(self.days) > 1 and not np.all(self.days[1:] > self.days[:-1]):
            raise DataValidationError("panel days must be sorted and unique")
        if len(set(self.symbols.tolist())) != len(self.symbols):
            raise DataValidationError("panel symbols must be unique")

    @property
    def shape(self) -> tuple[int, int]:
        """``(days, symbols)``."""
        return (len(self.days), len(self.symbols))

    def column_positions(self, symbols: np.ndarray) -> np.ndarray:
        """Positions of ``symbols`` in this panel (all must be present)."""
        index = pd.Index(self.symbols)
        positions = index.get_indexer(pd.Index(symbols))
        if (positions < 0).any():
            missing = np.asarray(symbols, dtype=object)[positions < 0][:5].tolist()
            raise DataValidationError(f"symbols {missing} are not in the panel")
        return positions


def pivot_long(
    frame: pd.DataFrame,
    days: np.ndarray,
    symbols: np.ndarray,
    columns: dict[str, tuple[np.dtype, float | int]],
    time_column: str = "date",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Scatter a long frame (one row per time and symbol) into arrays.

    Returns the arrays and a boolean mask of the cells that had a row. Rows whose time or
    symbol is not in ``days`` / ``symbols``, and duplicate rows, are errors.
    """
    shape = (len(days), len(symbols))
    arrays = {name: np.full(shape, fill, dtype=dtype) for name, (dtype, fill) in columns.items()}
    present = np.zeros(shape, dtype=bool)
    if frame.empty:
        return arrays, present
    times = pd.to_datetime(frame[time_column]).to_numpy().astype(days.dtype)
    rows = np.searchsorted(days, times)
    rows_ok = (rows < len(days)) & (days[np.minimum(rows, len(days) - 1)] == times)
    cols = pd.Index(symbols).get_indexer(pd.Index(frame["symbol"]))
    bad = ~rows_ok | (cols < 0)
    if bad.any():
        sample = frame.loc[bad, [time_column, "symbol"]].head(3).to_dict("records")
        raise DataValidationError(
            f"{int(bad.sum())} rows fall outside the requested days or instruments, e.g. {sample}"
        )
    flat = rows.astype(np.int64) * shape[1] + cols
    if len(np.unique(flat)) != len(flat):
        dup = frame.loc[pd.Series(flat).duplicated().to_numpy(), [time_column, "symbol"]]
        raise DataValidationError(
            f"{len(dup)} duplicate rows for the same time and symbol, e.g. "
            f"{dup.head(3).to_dict('records')}"
        )
    present.flat[flat] = True
    for name, (dtype, _fill) in columns.items():
        if name in frame.columns:
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
            if np.issubdtype(dtype, np.integer):
                values = np.where(np.isnan(values), 0, np.rint(values))
            arrays[name].flat[flat] = values.astype(dtype)
    return arrays, present
