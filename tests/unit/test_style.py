import shutil
import warnings

import pytest
from matplotlib.figure import Figure

from quantlib.analytics.style import use_cjk_fonts


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_chinese_labels_render_with_a_cjk_font(tmp_path):
    chosen = use_cjk_fonts()
    assert chosen is not None, "setup installs fonts-noto-cjk"
    figure = Figure()
    figure.subplots().set_title("涨停家数 limit-up count")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(tmp_path / "chart.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
