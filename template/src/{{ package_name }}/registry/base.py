"""What every model registry stores: versions, the aliases on them, and the rollout in progress.

A *version* is one thing that can answer predictions: a trained artifact with its sha256, or,
for a model that runs elsewhere, the model identifier plus the prompt and configuration this
project sends it. Versions never change once registered; only their evaluation is added later.

The *state* is small and changes often: which version is ``champion`` (serves the traffic),
which is ``challenger`` (being rolled out, at ``step`` percent of the traffic, or in shadow),
and the champions before, newest last, so that ``previous`` is always the one a rollback
returns to. Every change to the state is one function from the old state to the new one,
applied atomically by the registry, so concurrent commands cannot leave it half-changed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

Mode = Literal["canary", "shadow"]
#: The aliases a registry keeps, in the order they are shown.
ALIASES = ("champion", "challenger", "previous")


class RegistryError(RuntimeError):
    """The registry cannot do what was asked; the message says why and what to do."""


class UnknownVersionError(RegistryError, LookupError):
    """No version of that name is registered."""


class IntegrityError(RegistryError):
    """A version's artifact does not match the sha256 recorded when it was registered."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def version_number(version: str) -> int:
    """3 for "v3"; versions sort by their number, not as text."""
    if not (version.startswith("v") and version[1:].isdigit()):
        raise UnknownVersionError(f"{version!r} is not a version name; they look like v3.")
    return int(version[1:])


@dataclass(frozen=True)
class ModelVersion:
    """One registered version and everything known about where it came from."""

    version: str
    kind: Literal["artifact", "remote"]
    created_at: str
    #: Hold-out metrics from training (artifacts) or from the golden set (both kinds).
    metrics: dict[str, float] = field(default_factory=dict)
    #: The golden-set metric per slice value, e.g. {"region": {"north": 0.86, ...}}.
    slice_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    #: sha256 of the artifact file; ``None`` for a remote model.
    artifact_sha256: str | None = None
    #: sha256 of the dataset manifest the model was trained on.
    data_manifest_sha256: str | None = None
    schema_version: str | None = None
    git_commit: str | None = None
    #: For a remote model: its identifier, the prompt and the settings sent with it.
    spec: dict[str, Any] = field(default_factory=dict)
    #: Anything else recorded at registration (training data, library versions, ...).
    details: dict[str, Any] = field(default_factory=dict)
    #: The newest ``evaluate`` result for this version, when there is one.
    evaluation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelVersion:
        names = {item.name for item in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass(frozen=True)
class RegistryState:
    """Aliases and rollout, as one value that is replaced whole."""

    #: Versions that have been champion, oldest first; the last one is the champion.
    champions: tuple[str, ...] = ()
    challenger: str | None = None
    #: Percent of the traffic the challenger answers (0 in shadow mode and after an abort).
    step: int = 0
    mode: Mode = "canary"
    #: Why the last rollout was aborted, when it was.
    aborted: str | None = None
    #: Increases with every change, so a reader can tell whether anything changed.
    revision: int = 0
    updated_at: str | None = None

    @property
    def champion(self) -> str | None:
        return self.champions[-1] if self.champions else None

    @property
    def previous(self) -> str | None:
        return self.champions[-2] if len(self.champions) >= 2 else None

    def aliases(self) -> dict[str, str]:
        named = {
            "champion": self.champion,
            "challenger": self.challenger,
            "previous": self.previous,
        }
        return {alias: version for alias, version in named.items() if version is not None}

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "champions": list(self.champions)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegistryState:
        return cls(
            champions=tuple(data.get("champions", ())),
            challenger=data.get("challenger"),
            step=int(data.get("step", 0)),
            mode=data.get("mode", "canary"),
            aborted=data.get("aborted"),
            revision=int(data.get("revision", 0)),
            updated_at=data.get("updated_at"),
        )


class Registry(Protocol):
    """Where versions and the state live; ``local`` and ``mlflow`` registries implement it."""

    def register(self, record: dict[str, Any], artifact: Path | None = None) -> ModelVersion:
        """Add a version made of ``record`` (the ``ModelVersion`` fields except ``version``,
        ``created_at`` and ``artifact_sha256``) and the file ``artifact``, if any."""
        ...

    def get(self, version: str) -> ModelVersion:
        """The version named ``version``; ``UnknownVersionError`` when there is none."""
        ...

    def versions(self) -> list[ModelVersion]:
        """Every version, oldest first."""
        ...

    def fetch(self, version: str) -> Path:
        """A local path to the artifact of ``version``, checked against its sha256."""
        ...

    def record_evaluation(self, version: str, evaluation: dict[str, Any]) -> None:
        """Keep the result of ``evaluate`` with the version."""
        ...

    def state(self) -> RegistryState:
        """The aliases and rollout as they are now."""
        ...

    def update(self, change: Change) -> RegistryState:
        """Apply ``change`` to the current state atomically and return the new state.

        ``change`` may raise ``RegistryError`` to refuse; then nothing is written.
        """
        ...

    def describe(self) -> str:
        """Where this registry is, for messages."""
        ...


class Change(Protocol):
    def __call__(self, state: RegistryState) -> RegistryState: ...


def newest(registry: Registry, kind: str) -> ModelVersion | None:
    """The version of ``kind`` ("artifact" or "remote") registered last, if any."""
    versions = [record for record in registry.versions() if record.kind == kind]
    return versions[-1] if versions else None


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
