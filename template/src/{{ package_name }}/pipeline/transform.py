"""The transform step: turn raw source values into the contract's form before validation.

Extend it for your sources: rename a warehouse column to the contract's name, convert a unit,
map a legacy code to an allowed value. It runs on the engine, as Ibis expressions, so it works
on DuckDB and on Spark alike. It must not drop records; records that cannot be fixed are left
for validation to quarantine.
"""

import ibis.expr.types as ir

from .rules import clean
from .schema import FieldSpec


def transform(table: ir.Table, specs: tuple[FieldSpec, ...]) -> ir.Table:
    """Trim whitespace around every value and read blank values as missing."""
    return clean(table, [spec.name for spec in specs])
