"""The model runs inside the service process, loaded from the local model store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pandas as pd

from ..contracts.features import FEATURE_COLUMNS, Features
from ..model_store import LoadedModel, ModelIntegrityError, ModelNotFoundError, load_model
from .base import ModelUnavailableError, Prediction

#: Inference threads at once. More than the cores only queues work inside the process,
#: and a prediction abandoned at its deadline keeps its thread until it finishes.
INFERENCE_THREADS = max(2, os.cpu_count() or 2)


class InProcessAdapter:
    """Serves a scikit-learn model trained by ``make train``."""

    def __init__(self, model_dir: Path, version: str | None = None) -> None:
        self._model_dir = model_dir
        self._version = version
        self._model: LoadedModel | None = None
        self._not_ready_reason = "The model has not been loaded yet."
        self._threads = anyio.CapacityLimiter(INFERENCE_THREADS)

    async def start(self) -> None:
        """Load the configured version; on failure stay not-ready and remember why."""
        try:
            self._model = await anyio.to_thread.run_sync(load_model, self._model_dir, self._version)
        except (ModelNotFoundError, ModelIntegrityError) as error:
            self._model = None
            self._not_ready_reason = str(error)

    async def predict(self, features: Features) -> Prediction:
        model = self._model
        if model is None:
            raise ModelUnavailableError(self._not_ready_reason)
        row = pd.DataFrame([features.model_dump()], columns=list(FEATURE_COLUMNS))
        # Inference is CPU-bound: run it in a worker thread so the event loop keeps serving.
        probabilities = await anyio.to_thread.run_sync(
            model.estimator.predict_proba, row, limiter=self._threads
        )
        best = int(probabilities[0].argmax())
        label = int(model.estimator.classes_[best])
        return Prediction(
            label=str(model.metadata["class_names"][label]),
            confidence=float(probabilities[0][best]),
            model_version=model.version,
        )

    async def readiness(self) -> tuple[bool, str]:
        if self._model is None:
            return False, self._not_ready_reason
        return True, f"Model {self._model.version} is loaded."

    def metadata(self) -> dict[str, Any]:
        if self._model is None:
            return {"loaded": False, "reason": self._not_ready_reason}
        return {"loaded": True, **self._model.metadata}
