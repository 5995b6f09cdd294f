"""The registry as files next to the models: no server, safe for several writers at once.

``<root>/v<N>/metadata.json`` describes a version and ``<root>/v<N>/<artifact>`` holds its
artifact; a version is written into a hidden folder and renamed into place, so a reader never
sees half of one. ``<root>/registry.json`` holds the aliases and rollout; it is replaced whole
(write, fsync, rename), and every read-modify-write holds ``<root>/.registry.lock``, so two
commands at once cannot lose each other's change. Several replicas of the service can share
the folder (a ReadWriteMany volume): they only read it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..hashing import sha256_of
from .base import (
    Change,
    IntegrityError,
    ModelVersion,
    RegistryError,
    RegistryState,
    UnknownVersionError,
    dump_json,
    utc_now,
    version_number,
)

METADATA_FILE = "metadata.json"
EVALUATION_FILE = "evaluation.json"
STATE_FILE = "registry.json"
LOCK_FILE = ".registry.lock"
#: Longest wait for another command holding the lock; they hold it for milliseconds.
LOCK_TIMEOUT_S = 30.0


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _from_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """Versions written before the registry had only ``metadata.json`` with ``sha256``."""
    known = {"version", "metrics", "sha256", "trained_at"}
    training = data.get("training_data", {})
    return {
        "version": data["version"],
        "kind": "artifact",
        "created_at": data.get("trained_at", ""),
        "metrics": data.get("metrics", {}),
        "slice_metrics": {},
        "artifact_sha256": data["sha256"],
        "data_manifest_sha256": None,
        "schema_version": training.get("schema_version"),
        "git_commit": None,
        "details": {
            "artifact_file": "model.joblib",
            **{key: value for key, value in data.items() if key not in known},
        },
    }


class LocalRegistry:
    """Versions and state under one directory: the `model_dir` setting."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock_path = root / LOCK_FILE

    def describe(self) -> str:
        return f"{self.root}/"

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self._lock_path, timeout=LOCK_TIMEOUT_S)

    def _folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        folders = []
        for entry in self.root.iterdir():
            try:
                version_number(entry.name)
            except UnknownVersionError:
                continue
            if (entry / METADATA_FILE).is_file():
                folders.append(entry)
        return sorted(folders, key=lambda folder: version_number(folder.name))

    def register(self, record: dict[str, Any], artifact: Path | None = None) -> ModelVersion:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            details = dict(record.get("details", {}))
            sha256 = None
            if artifact is not None:
                shutil.copyfile(artifact, staging / artifact.name)
                sha256 = sha256_of(staging / artifact.name)
                details["artifact_file"] = artifact.name
            with self._lock():
                folders = self._folders()
                number = version_number(folders[-1].name) + 1 if folders else 1
                version = ModelVersion.from_dict(
                    {
                        "slice_metrics": {},
                        "spec": {},
                        **record,
                        "details": details,
                        "version": f"v{number}",
                        "created_at": utc_now(),
                        "artifact_sha256": sha256,
                        "evaluation": None,
                    }
                )
                (staging / METADATA_FILE).write_text(dump_json(version.to_dict()))
                os.rename(staging, self.root / version.version)
            return version
        finally:
            if staging.exists():
                shutil.rmtree(staging)

    def get(self, version: str) -> ModelVersion:
        version_number(version)
        folder = self.root / version
        try:
            data = json.loads((folder / METADATA_FILE).read_text())
        except FileNotFoundError:
            available = ", ".join(folder.name for folder in self._folders()) or "none"
            raise UnknownVersionError(
                f"No version {version} in {self.describe()} (registered: {available})."
            ) from None
        except ValueError as error:
            raise RegistryError(f"{folder / METADATA_FILE} is not valid JSON: {error}") from error
        if "kind" not in data:
            data = _from_legacy(data)
        evaluation = folder / EVALUATION_FILE
        if evaluation.is_file():
            data["evaluation"] = json.loads(evaluation.read_text())
        return ModelVersion.from_dict(data)

    def versions(self) -> list[ModelVersion]:
        return [self.get(folder.name) for folder in self._folders()]

    def fetch(self, version: str) -> Path:
        record = self.get(version)
        name = record.details.get("artifact_file")
        if record.kind != "artifact" or not name:
            raise RegistryError(f"{version} is a remote model; it has no artifact to load.")
        path = self.root / version / str(name)
        if not path.is_file():
            raise IntegrityError(f"{version}'s artifact {path} is missing.")
        return path

    def record_evaluation(self, version: str, evaluation: dict[str, Any]) -> None:
        self.get(version)
        write_atomically(self.root / version / EVALUATION_FILE, dump_json(evaluation))

    def state(self) -> RegistryState:
        try:
            text = (self.root / STATE_FILE).read_text()
        except FileNotFoundError:
            return RegistryState()
        try:
            return RegistryState.from_dict(json.loads(text))
        except (ValueError, TypeError) as error:
            raise RegistryError(
                f"{self.root / STATE_FILE} is not a registry state ({error}); restore it from "
                "a backup or delete it and promote again."
            ) from error

    def update(self, change: Change) -> RegistryState:
        with self._lock():
            current = self.state()
            changed = change(current)
            if changed is not current:
                write_atomically(self.root / STATE_FILE, dump_json(changed.to_dict()))
            return changed
