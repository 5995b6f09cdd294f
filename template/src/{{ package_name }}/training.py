"""Fit the model on the training data, measure it on a held-out split, save a new version."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn
from pydantic import ValidationError
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from .contracts.features import CLASS_NAMES, FEATURE_COLUMNS, LABEL_COLUMN, Features
from .model import MODEL_NAME, RANDOM_STATE, build_model
from .model_store import save_model, sha256_of

HOLDOUT_FRACTION = 0.2
#: Most contract violations listed in one error, so a bad file gives a readable message.
MAX_REPORTED_ERRORS = 10


class TrainingDataError(ValueError):
    """The training data does not satisfy the feature contract."""


@dataclass(frozen=True)
class TrainingResult:
    version: str
    metrics: dict[str, float]
    rows: int


def load_training_data(path: Path) -> pd.DataFrame:
    """Read ``path`` and check every row against the feature contract."""
    if not path.is_file():
        raise TrainingDataError(f"Training data {path} does not exist.")
    frame = pd.read_csv(path)
    missing = [c for c in (*FEATURE_COLUMNS, LABEL_COLUMN) if c not in frame.columns]
    if missing:
        raise TrainingDataError(f"{path} lacks the column(s) {', '.join(missing)}.")
    if frame.empty:
        raise TrainingDataError(f"{path} has a header but no rows.")

    problems: list[str] = []
    for line, record in enumerate(frame[list(FEATURE_COLUMNS)].to_dict("records"), start=2):
        try:
            Features.model_validate(record, strict=False)
        except ValidationError as error:
            for issue in error.errors():
                field = ".".join(str(part) for part in issue["loc"])
                problems.append(f"line {line}, {field}: {issue['msg']}")
    labels = set(frame[LABEL_COLUMN].unique().tolist())
    if not labels <= set(range(len(CLASS_NAMES))):
        problems.append(f"{LABEL_COLUMN}: labels must be 0..{len(CLASS_NAMES) - 1}, got {labels}")
    if problems:
        shown = "\n  ".join(problems[:MAX_REPORTED_ERRORS])
        more = len(problems) - MAX_REPORTED_ERRORS
        suffix = f"\n  ... and {more} more" if more > 0 else ""
        raise TrainingDataError(f"{path} breaks the feature contract:\n  {shown}{suffix}")
    return frame


def evaluate(estimator: Any, features: pd.DataFrame, labels: pd.Series) -> dict[str, float]:
    """Hold-out metrics; F1 and ROC AUC are macro averages when there are more than two labels."""
    predictions = estimator.predict(features)
    probabilities = estimator.predict_proba(features)
    if probabilities.shape[1] == 2:
        f1 = f1_score(labels, predictions)
        roc_auc = roc_auc_score(labels, probabilities[:, 1])
    else:
        f1 = f1_score(labels, predictions, average="macro")
        roc_auc = roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    return {
        "accuracy": round(float(accuracy_score(labels, predictions)), 4),
        "f1": round(float(f1), 4),
        "roc_auc": round(float(roc_auc), 4),
    }


def train(data_path: Path, model_dir: Path) -> TrainingResult:
    """Train on ``data_path`` and save the result as the next version in ``model_dir``."""
    frame = load_training_data(data_path)
    features = frame[list(FEATURE_COLUMNS)]
    labels = frame[LABEL_COLUMN]
    counts = labels.value_counts()
    if len(counts) < 2 or counts.min() < 2:
        raise TrainingDataError(
            f"{data_path} needs at least two rows of each of at least two labels to hold some "
            f"out for evaluation; label counts: {counts.to_dict()}."
        )
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=HOLDOUT_FRACTION, random_state=RANDOM_STATE, stratify=labels
    )
    estimator = build_model().fit(x_train, y_train)
    metrics = evaluate(estimator, x_test, y_test)
    metadata: dict[str, Any] = {
        "model_name": MODEL_NAME,
        "metrics": metrics,
        "class_names": list(CLASS_NAMES),
        "feature_columns": list(FEATURE_COLUMNS),
        "training_data": {
            "path": str(data_path),
            "sha256": sha256_of(data_path),
            "rows": len(frame),
            "holdout_fraction": HOLDOUT_FRACTION,
        },
        "trained_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "python_version": platform.python_version(),
        "sklearn_version": sklearn.__version__,
    }
    version = save_model(model_dir, estimator, metadata)
    return TrainingResult(version=version, metrics=metrics, rows=len(frame))
