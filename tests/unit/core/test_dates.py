import datetime as dt

import numpy as np
import pandas as pd
import pytest

from quantlib.core.dates import SHANGHAI, check_range, to_date
from quantlib.core.errors import DateError, InvalidRangeError, QuantlibError


@pytest.mark.parametrize(
    "value",
    [
        "2023-08-28",
        "20230828",
        dt.date(2023, 8, 28),
        dt.datetime(2023, 8, 28, 10, 0),
        pd.Timestamp("2023-08-28"),
        np.datetime64("2023-08-28"),
        dt.datetime(2023, 8, 27, 17, 0, tzinfo=dt.UTC),  # 01:00 on the 28th in Shanghai
    ],
)
def test_every_date_form_parses_to_the_same_day(value):
    assert to_date(value) == dt.date(2023, 8, 28)


@pytest.mark.parametrize("value", ["2023-13-01", "yesterday", "2023082", 20230828, pd.NaT])
def test_unparseable_dates_raise_a_date_error_naming_the_value(value):
    with pytest.raises(DateError) as caught:
        to_date(value, name="start")
    assert "start" in str(caught.value)
    assert isinstance(caught.value, QuantlibError) and isinstance(caught.value, ValueError)


def test_backwards_range_is_refused():
    with pytest.raises(InvalidRangeError, match="backwards"):
        check_range(dt.date(2024, 2, 1), dt.date(2024, 1, 1))


def test_shanghai_is_utc_plus_eight():
    assert dt.datetime(2024, 1, 1, tzinfo=SHANGHAI).utcoffset() == dt.timedelta(hours=8)
