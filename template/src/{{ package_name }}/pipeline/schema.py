"""The batch schema, derived from the record contract so that it cannot drift from the service.

Every field of the pydantic ``Record`` model becomes a :class:`FieldSpec`: its kind, whether
it may be null, and the constraints pydantic enforces on a request (bounds, lengths, pattern,
allowed values). The pipeline's validation rules are built from these specs alone.
"""

from __future__ import annotations

import hashlib
import json
import types
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

Kind = Literal["str", "int", "float", "bool", "datetime"]
_KINDS: dict[type, Kind] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    datetime: "datetime",
}
_CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")


class ContractError(TypeError):
    """The record contract uses a type the pipeline cannot check."""


@dataclass(frozen=True)
class FieldSpec:
    """One column of the batch schema."""

    name: str
    kind: Kind
    nullable: bool
    allowed: tuple[str | int, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    finite: bool = False


def _kind_of(name: str, annotation: Any) -> tuple[Kind, bool, tuple[str | int, ...] | None]:
    """The kind, nullability and allowed values of one annotation."""
    nullable = False
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        nullable = len(members) < len(get_args(annotation))
        if len(members) != 1:
            raise ContractError(f"{name}: a union of several types cannot be checked in batch.")
        annotation = members[0]
        origin = get_origin(annotation)
    if origin is Literal:
        allowed: tuple[str | int, ...] = get_args(annotation)
        kinds = {type(value) for value in allowed}
        if kinds == {str}:
            return "str", nullable, allowed
        if kinds == {int}:
            return "int", nullable, allowed
        raise ContractError(f"{name}: allowed values must be all strings or all integers.")
    kind = _KINDS.get(annotation)
    if kind is None:
        supported = ", ".join(sorted(t.__name__ for t in _KINDS))
        raise ContractError(
            f"{name}: the pipeline checks {supported} and Literal fields, not {annotation!r}."
        )
    return kind, nullable, None


def field_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The batch schema of ``model``, one spec per field, in the model's field order."""
    specs = []
    for name, field in model.model_fields.items():
        kind, nullable, allowed = _kind_of(name, field.annotation)
        constraints: dict[str, Any] = {}
        allow_inf_nan = model.model_config.get("allow_inf_nan", True)
        for item in field.metadata:
            for constraint in _CONSTRAINTS:
                value = getattr(item, constraint, None)
                if value is not None:
                    constraints[constraint] = value
            flag = getattr(item, "allow_inf_nan", None)
            if flag is not None:
                allow_inf_nan = flag
        specs.append(
            FieldSpec(
                name=name,
                kind=kind,
                nullable=nullable,
                allowed=allowed,
                finite=kind == "float" and not allow_inf_nan,
                **constraints,
            )
        )
    return tuple(specs)


def schema_version(specs: tuple[FieldSpec, ...]) -> str:
    """A short fingerprint of the schema: it changes whenever a field or a rule does."""
    encoded = json.dumps([asdict(spec) for spec in specs], sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:12]
