"""The pipeline's output on disk, for readers such as training: no engine needed to read it.

Each run writes one directory per dataset version under the processed directory::

    data/processed/
        LATEST                      the version the last run produced or found
        ds-4d4d33ae9651/
            records.parquet         valid records, typed as the contract says
            quarantine.parquet      invalid records as they came, with their reasons
            manifest.json           counts, digests, schema version, sources, time
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDS_FILE = "records.parquet"
QUARANTINE_FILE = "quarantine.parquet"
MANIFEST_FILE = "manifest.json"
LATEST_FILE = "LATEST"


class DatasetError(LookupError):
    """There is no dataset where one was expected; the message says how to make one."""


def resolve(path: Path) -> Path:
    """The dataset at ``path``: a dataset directory, or the newest one in a processed directory."""
    if (path / MANIFEST_FILE).is_file():
        return path
    pointer = path / LATEST_FILE
    if pointer.is_file():
        dataset = path / pointer.read_text(encoding="utf-8").strip()
        if (dataset / MANIFEST_FILE).is_file():
            return dataset
        raise DatasetError(f"{pointer} names {dataset.name}, which is gone: run `make pipeline`.")
    raise DatasetError(f"No dataset in {path}: run `make pipeline` to make one.")


def read_manifest(dataset: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    return manifest


def write_latest(output: Path, version: str) -> None:
    """Point ``LATEST`` at ``version``, atomically, so readers never see half a name."""
    pointer = output / LATEST_FILE
    partial = pointer.with_name(f".{LATEST_FILE}.partial")
    partial.write_text(version + "\n", encoding="utf-8")
    partial.replace(pointer)
