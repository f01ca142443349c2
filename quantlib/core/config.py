"""Base class for library configuration objects."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class BaseConfig(BaseModel):
    """Immutable, strict configuration model: unknown keys are errors.

    Subclasses are named ``*Config``. Their JSON Schema (``Model.model_json_schema()``)
    can drive papermill parameters and Voila forms.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
