"""Chart style: Chinese and English labels render in every chart.

Matplotlib's default fonts have no CJK glyphs, so Chinese labels show as boxes. This
module registers a CJK font (Noto Sans CJK from Debian's ``fonts-noto-cjk``, which setup
installs, or a system font such as PingFang/Microsoft YaHei on desktops) and makes it the
default sans-serif font.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: Preferred fonts, first found wins.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
)
_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path("/System/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
_FILE_PATTERNS = (
    "NotoSansCJK*",
    "SourceHanSans*",
    "wqy-microhei*",
    "PingFang*",
    "msyh*",
    "simhei*",
)


def use_cjk_fonts() -> str | None:
    """Make matplotlib draw Chinese text; returns the font used, or None if none exists.

    Examples
    --------
    >>> use_cjk_fonts()  # doctest: +SKIP
    'Noto Sans CJK SC'
    """
    from matplotlib import font_manager, rcParams

    for folder in _FONT_DIRS:
        if not folder.is_dir():
            continue
        for pattern in _FILE_PATTERNS:
            for path in folder.rglob(pattern):
                try:
                    font_manager.fontManager.addfont(str(path))
                except (OSError, RuntimeError, ValueError):
                    log.debug("cannot load font %s", path)
    available = {entry.name for entry in font_manager.fontManager.ttflist}
    chosen = next((name for name in CJK_FONTS if name in available), None)
    if chosen is None:
        log.warning(
            "no CJK font found; Chinese labels will not render "
            "(on Debian/Ubuntu: apt-get install fonts-noto-cjk)"
        )
        return None
    rcParams["font.sans-serif"] = [chosen, *rcParams["font.sans-serif"]]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    return chosen
