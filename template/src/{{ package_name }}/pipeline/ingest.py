"""Ingest: read every raw source file into one table of strings, noting where each came from.

Values stay strings here, exactly as the source wrote them; parsing them is validation's job,
so a value that does not parse is quarantined with the value itself as the reason. A CSV row
that cannot be parsed at all (too many or too few columns, bytes that are not in the file's
encoding) becomes a quarantined record too. A file that cannot be read at all, or that lacks a
column the contract requires, stops the run.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..hashing import sha256_of
from .schema import FieldSpec

#: The table ingest fills, in the DuckDB connection it is given.
RAW_TABLE = "raw_records"
#: Columns ingest adds to every record: its source, its position there, and, for a row that
#: could not be parsed, what was wrong with it.
SOURCE, ROW, MALFORMED = "_source", "_row", "_malformed"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class PipelineError(RuntimeError):
    """The run cannot go on; the message says what to fix. Nothing has been written."""


@dataclass(frozen=True)
class SourceFile:
    """One file to ingest: where it is now, the name it is reported under, its digest, and
    for a CSV file written by the pipeline itself, its encoding (others use the setting)."""

    path: Path
    label: str
    sha256: str
    encoding: str | None = None

    @classmethod
    def of(cls, path: Path, label: str | None = None, encoding: str | None = None) -> SourceFile:
        return cls(path, label or str(path), sha256_of(path), encoding)


@dataclass
class SourceSummary:
    """What ingest read from one file."""

    source: str
    format: str
    sha256: str
    records: int = 0
    malformed: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_header(source: SourceFile, encoding: str) -> list[str]:
    """The column names on the first line of a CSV file, decoded on their own: a bad byte
    further down is that record's problem, not the header's."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        line = ""
        with source.path.open("rb") as stream:
            while "\n" not in line and (byte := stream.read(1)):
                line += decoder.decode(byte)
        header = next(csv.reader([line.removeprefix("\ufeff")]), [])
    except (UnicodeDecodeError, LookupError, csv.Error) as error:
        raise PipelineError(
            f"{source.label}: the header cannot be read as {encoding}: {error}"
        ) from error
    names = [name.strip() for name in header]
    if not names or not all(names) or len(set(names)) < len(names):
        raise PipelineError(
            f"{source.label}: the first line must name every column once; it is {header!r}."
        )
    return names


def _relation(source: SourceFile, kind: str, encoding: str, index: int) -> tuple[str, list[str]]:
    """A SQL relation that reads the file's records, and the columns it has."""
    path = _literal(str(source.path))
    if kind == "csv":
        # RFC 4180 CSV with the header's columns, not sniffed: a guess would change with the
        # rows a file happens to have, and a row that does not fit is a reject, not a guess.
        names = _csv_header(source, encoding)
        columns = "{" + ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in names) + "}"
        relation = (
            f"read_csv({path}, auto_detect = false, header = false, skip = 1,"
            f" delim = ',', quote = '\"', escape = '\"', columns = {columns},"
            f" encoding = {_literal(encoding)}, store_rejects = true,"
            f" rejects_table = 'rejects_{index}', rejects_scan = 'reject_scans_{index}')"
        )
        return relation, names
    if kind == "parquet":
        return f"read_parquet({path})", []
    return f"read_json_objects({path}, format = 'newline_delimited')", []


def _columns(con: duckdb.DuckDBPyConnection, relation: str, kind: str) -> list[str]:
    if kind == "jsonl":
        rows = con.sql(f"SELECT DISTINCT unnest(json_keys(json)) FROM {relation}").fetchall()  # noqa: S608
        return sorted(str(row[0]) for row in rows)
    return [str(row[0]) for row in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()]  # noqa: S608


def file_columns(con: duckdb.DuckDBPyConnection, source: SourceFile, encoding: str) -> list[str]:
    """The columns of a CSV, Parquet or JSON Lines file, found the way ingest finds them."""
    kind = FORMATS[source.path.suffix.lower()]
    relation, present = _relation(source, kind, source.encoding or encoding, index=0)
    return present or _columns(con, relation, kind)


def _value(kind: str, column: str) -> str:
    if kind == "jsonl":
        return f"json_extract_string(json, {_literal('$.' + _identifier(column))})"
    return f"CAST({_identifier(column)} AS VARCHAR)"


def _row_count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()  # noqa: S608
    return int(row[0]) if row else 0


def ingest(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[SourceFile],
    specs: Sequence[FieldSpec],
    *,
    encoding: str = "utf-8",
) -> list[SourceSummary]:
    """Read ``sources`` into the table ``RAW_TABLE`` of ``con``; one summary per source."""
    names = [spec.name for spec in specs]
    required = {spec.name for spec in specs if not spec.nullable}
    columns_sql = ", ".join(f"{_identifier(name)} VARCHAR" for name in names)
    con.execute(
        f"CREATE OR REPLACE TABLE {RAW_TABLE} "
        f"({SOURCE} VARCHAR, {ROW} BIGINT, {columns_sql}, {MALFORMED} VARCHAR)"
    )
    summaries = []
    for index, source in enumerate(sources):
        kind = FORMATS.get(source.path.suffix.lower())
        if kind is None:
            known = ", ".join(sorted(FORMATS))
            raise PipelineError(
                f"{source.label}: cannot read {source.path.suffix or 'files without a suffix'};"
                f" the pipeline reads {known}. Convert it or move it out of the input."
            )
        if source.path.stat().st_size == 0:
            raise PipelineError(f"{source.label} is empty: it has no header and no records.")
        summary = SourceSummary(source.label, kind, source.sha256)
        relation, present = _relation(source, kind, source.encoding or encoding, index)
        try:
            present = present or _columns(con, relation, kind)
            missing = sorted(required - set(present))
            if missing:
                raise PipelineError(
                    f"{source.label} lacks the column(s) {', '.join(missing)} that the record"
                    f" contract requires; it has {', '.join(present) or 'none'}."
                )
            summary.ignored_columns = [name for name in present if name not in names]
            values = ", ".join(_value(kind, name) if name in present else "NULL" for name in names)
            # The table keeps rows in the order they are read, so a record's position in its
            # file follows from its row id. Numbering them in the query instead, with
            # row_number() OVER (), doubles the time the read takes on more than one thread.
            first = _row_count(con)
            con.execute(
                f"INSERT INTO {RAW_TABLE} SELECT {_literal(source.label)},"  # noqa: S608
                f" NULL, {values}, NULL FROM {relation}"
            )
            con.execute(
                f"UPDATE {RAW_TABLE} SET {ROW} = rowid - {first} + 1 WHERE rowid >= {first}"  # noqa: S608
            )
            if kind == "csv":
                con.execute(
                    f"INSERT INTO {RAW_TABLE} ({SOURCE}, {MALFORMED})"  # noqa: S608
                    # One reject per problem: a row missing three columns is listed three times.
                    f" SELECT {_literal(source.label)}, 'line ' || line || ': '"
                    f" || lower(string_agg(DISTINCT error_type, ', ' ORDER BY error_type))"
                    f" || ': ' || coalesce(min(csv_line), '')"
                    f" FROM rejects_{index} GROUP BY line ORDER BY line"
                )
        except duckdb.Error as error:
            raise PipelineError(f"{source.label} cannot be read: {error}") from error
        records, malformed = con.execute(
            f"SELECT count(*), count({MALFORMED}) FROM {RAW_TABLE}"  # noqa: S608
            f" WHERE {SOURCE} = {_literal(source.label)}"
        ).fetchone() or (0, 0)
        summary.records, summary.malformed = int(records), int(malformed)
        summaries.append(summary)
    return summaries
