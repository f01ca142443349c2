"""Market-data sources behind one interface, chosen by name."""

from quantlib.data.sources.base import (
    DataSource,
    available_sources,
    create_source,
    source_class,
)

__all__ = ["DataSource", "available_sources", "create_source", "source_class"]
