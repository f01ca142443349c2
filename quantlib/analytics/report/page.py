"""The report page: one self-contained HTML document (styles, scripts and bokeh inline).

Nothing is fetched when the page opens: bokeh's JavaScript and CSS, the report's styles
and the trade list's script are all written into the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jinja2
from bokeh.embed import components
from bokeh.models import Model
from bokeh.resources import Resources
from markupsafe import Markup

from quantlib.analytics.report.labels import Labels

_TEMPLATES = "quantlib.analytics.report.templates"


@dataclass(frozen=True)
class Section:
    """One titled part of a report; ``body`` is HTML."""

    id: str
    heading: str
    body: str
    page_break: bool = False


@dataclass(frozen=True)
class Charts:
    """Bokeh figures embedded in a page: the script that draws them and one ``<div>`` each."""

    script: str
    divs: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return f"<div class='chart'>{self.divs[name]}</div>"


def embed_charts(figures: Mapping[str, Model]) -> Charts:
    """The embedding script and target ``<div>`` of each figure (all in one document)."""
    if not figures:
        return Charts("", {})
    script, divs = components(dict(figures))
    return Charts(script, divs)


@cache
def _asset(name: str) -> str:
    return resources.files(_TEMPLATES).joinpath(name).read_text(encoding="utf-8")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    return environment.from_string(_asset("page.html"))


@cache
def _bokeh_inline() -> str:
    return Resources(mode="inline", components=["bokeh"]).render()


def render_page(
    *,
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    labels: Labels,
    charts: Charts,
    notes: Sequence[str] = (),
    for_print: bool = False,
    interactive_tables: bool = False,
) -> str:
    """The whole HTML document of a report."""
    from quantlib import __version__

    when = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    has_charts = bool(charts.divs)
    return _template().render(
        lang="zh-CN" if labels.language == "zh" else "en",
        version=__version__,
        title=title,
        subtitle=subtitle,
        css=Markup(_asset("report.css")),
        resources=Markup(_bokeh_inline() if has_charts else ""),
        chart_script=Markup(charts.script),
        for_print=for_print,
        has_charts=has_charts,
        notes=notes,
        notes_heading=labels["sec_notes"],
        sections=[Section(s.id, s.heading, Markup(s.body), s.page_break) for s in sections],
        footer=labels.format("generated", version=__version__, when=when),
        script=Markup(_asset("trades.js")) if interactive_tables else "",
    )


__all__ = ["Charts", "Section", "embed_charts", "render_page"]
