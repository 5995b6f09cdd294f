"""Versioned model artifacts on disk: ``<model_dir>/v<N>/{model.joblib,metadata.json}``.

Every artifact is written with its sha256 and metrics beside it, into a temporary folder
that is renamed into place, so a reader never sees a half-written version. Loading checks
the sha256 before unpickling: a corrupted or tampered file is refused, not executed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

ARTIFACT_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
_VERSION = re.compile(r"^v(\d+)$")


class ModelNotFoundError(LookupError):
    """No trained model is available where the settings point."""


class ModelIntegrityError(RuntimeError):
    """The artifact on disk does not match the sha256 recorded when it was trained."""


@dataclass(frozen=True)
class LoadedModel:
    version: str
    estimator: Any
    metadata: dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_versions(model_dir: Path) -> list[str]:
    """Complete versions in ``model_dir``, oldest first."""
    if not model_dir.is_dir():
        return []
    numbered = [
        (int(match.group(1)), entry.name)
        for entry in model_dir.iterdir()
        if (match := _VERSION.match(entry.name)) and (entry / METADATA_FILE).is_file()
    ]
    return [name for _, name in sorted(numbered)]


def save_model(model_dir: Path, estimator: Any, metadata: dict[str, Any]) -> str:
    """Write ``estimator`` as the next version and return that version."""
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        artifact = staging / ARTIFACT_FILE
        joblib.dump(estimator, artifact)
        versions = list_versions(model_dir)
        number = int(versions[-1][1:]) + 1 if versions else 1
        record = {**metadata, "sha256": sha256_of(artifact)}
        while True:
            version = f"v{number}"
            metadata_text = json.dumps({**record, "version": version}, indent=2) + "\n"
            (staging / METADATA_FILE).write_text(metadata_text)
            try:
                os.rename(staging, model_dir / version)
            except OSError:
                if not (model_dir / version).exists():
                    raise
                number += 1  # another trainer took this number first; take the next
                continue
            return version
    finally:
        if staging.exists():
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()


def load_model(model_dir: Path, version: str | None = None) -> LoadedModel:
    """Load ``version`` (the newest when ``None``) after checking its sha256."""
    if version is None:
        versions = list_versions(model_dir)
        if not versions:
            raise ModelNotFoundError(
                f"No trained model in {model_dir}/. Run `make train` to train the demo model."
            )
        version = versions[-1]
    folder = model_dir / version
    if not (folder / METADATA_FILE).is_file():
        raise ModelNotFoundError(
            f"Model version {version!r} not found in {model_dir}/ "
            f"(available: {', '.join(list_versions(model_dir)) or 'none'})."
        )
    try:
        metadata: dict[str, Any] = json.loads((folder / METADATA_FILE).read_text())
        recorded = metadata["sha256"]
        # Read once: the bytes that are hashed are the bytes that are loaded.
        payload = (folder / ARTIFACT_FILE).read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelIntegrityError(
            f"Model version {version} in {folder} is incomplete or unreadable ({error!r}); "
            "refusing to load it. Retrain with `make train`."
        ) from error
    actual = hashlib.sha256(payload).hexdigest()
    if actual != recorded:
        raise ModelIntegrityError(
            f"{folder / ARTIFACT_FILE} has sha256 {actual}, but {recorded} was "
            "recorded at training time; refusing to load it. Retrain with `make train`."
        )
    try:
        estimator = joblib.load(io.BytesIO(payload))
    except Exception as error:  # unpickling can fail in many ways; all mean "cannot serve this"
        raise ModelIntegrityError(
            f"{folder / ARTIFACT_FILE} could not be loaded ({error!r}); it may have been written "
            "by other library versions. Retrain with `make train`."
        ) from error
    return LoadedModel(version=version, estimator=estimator, metadata=metadata)
