"""Validation rules as Ibis expressions, built from the batch schema alone.

Each rule is one boolean expression per (field, rule) that is true where a record breaks it.
The same expressions run on DuckDB and on Spark: nothing here knows which engine runs them.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from .schema import FieldSpec

_TYPES: dict[str, dt.DataType] = {
    "int": dt.int64,
    "float": dt.float64,
    "datetime": dt.Timestamp(timezone="UTC"),
}
_INTEGER = r"^[+-]?[0-9]+$"
_UNIX_MILLISECONDS = 20_000_000_000
REASON_TYPE = dt.Struct({"field": dt.string, "rule": dt.string, "value": dt.string})


@dataclass(frozen=True)
class Rule:
    """One check of one field: ``broken`` is true (never null) where a record fails it, and
    ``value`` is what the quarantine shows as the offending value."""

    field: str
    name: str
    broken: ir.BooleanValue
    value: ir.StringValue


def clean(table: ir.Table, columns: Sequence[str]) -> ir.Table:
    """Trim surrounding whitespace and read blank values as missing, for every column given."""
    return table.mutate(**{name: _cleaned(table[name].cast("string")) for name in columns})


def _cleaned(value: ir.StringValue) -> ir.StringValue:
    # Trimming every value costs more than all the rules together, and few values need it:
    # only values that start or end with whitespace (what strip() removes) are trimmed. All
    # whitespace sorts before "!", so a value that does not sort before "!" starts with none.
    edged = (value < "!") | ibis.or_(*(value.endswith(space) for space in string.whitespace))
    return ibis.ifelse(edged, value.strip(), value).nullif("")


def parse(raw: ir.StringValue, spec: FieldSpec) -> ir.Value:
    """``raw`` as the field's type; null where it does not parse."""
    if spec.kind == "str":
        return raw
    if spec.kind == "bool":
        lowered = raw.lower()
        return ibis.cases((lowered == "true", True), (lowered == "false", False), else_=None)
    if spec.kind == "datetime":
        # As pydantic reads a timestamp: ISO 8601, or Unix time in seconds (milliseconds
        # beyond 2e10).
        unix = raw.try_cast(dt.int64)
        seconds = ibis.ifelse(unix.abs() > _UNIX_MILLISECONDS, unix // 1000, unix)
        from_unix = seconds.as_timestamp("s").cast(_TYPES["datetime"])
        return ibis.ifelse(raw.re_search(_INTEGER), from_unix, raw.try_cast(_TYPES["datetime"]))
    return raw.try_cast(_TYPES[spec.kind])


def _checks(spec: FieldSpec, raw: ir.StringValue) -> Iterator[tuple[str, ir.BooleanValue]]:
    value = parse(raw, spec)
    if not spec.nullable:
        yield "required", raw.isnull()
    if spec.kind == "int":
        # Integers are written as integers: "1.0" is refused, as the service refuses 1.0.
        yield "type:int", raw.notnull() & (~raw.re_search(_INTEGER) | value.isnull())
    elif spec.kind != "str":
        yield f"type:{spec.kind}", raw.notnull() & value.isnull()
    if spec.finite:
        yield "finite", value.isnan() | value.isinf()
    if spec.kind == "float":
        # NaN is not a number to compare; the finite rule (or nothing) speaks for it.
        value = ibis.ifelse(value.isnan(), ibis.null("float64"), value)
    if spec.ge is not None:
        yield f"min:{spec.ge:g}", value < spec.ge
    if spec.gt is not None:
        yield f"above:{spec.gt:g}", value <= spec.gt
    if spec.le is not None:
        yield f"max:{spec.le:g}", value > spec.le
    if spec.lt is not None:
        yield f"below:{spec.lt:g}", value >= spec.lt
    if spec.min_length is not None:
        yield f"min_length:{spec.min_length}", raw.length() < spec.min_length
    if spec.max_length is not None:
        yield f"max_length:{spec.max_length}", raw.length() > spec.max_length
    if spec.pattern is not None:
        yield f"pattern:{spec.pattern}", ~raw.re_search(spec.pattern)
    if spec.allowed is not None:
        yield "one_of:" + "|".join(str(item) for item in spec.allowed), ~value.isin(spec.allowed)


def rules(table: ir.Table, specs: Sequence[FieldSpec]) -> list[Rule]:
    """Every rule of every field, as expressions over ``table``'s string columns."""
    return [
        Rule(spec.name, name, broken.fill_null(False), table[spec.name])
        for spec in specs
        for name, broken in _checks(spec, table[spec.name])
    ]


def typed(table: ir.Table, specs: Sequence[FieldSpec]) -> dict[str, ir.Value]:
    """Each field of ``table`` as its contract type, for records that passed every rule."""
    return {spec.name: parse(table[spec.name], spec) for spec in specs}


def reasons(checks: Sequence[Rule]) -> ir.ArrayValue:
    """Per record, every rule it breaks as {field, rule, value}; empty when it breaks none."""
    entries = [
        ibis.ifelse(
            check.broken,
            ibis.struct(
                {
                    "field": ibis.literal(check.field),
                    "rule": ibis.literal(check.name),
                    "value": check.value.cast("string"),
                }
            ),
            ibis.null(REASON_TYPE),
        )
        for check in checks
    ]
    return ibis.array(entries).filter(lambda entry: entry.notnull())
