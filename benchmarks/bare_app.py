"""The baseline of bench_service.py and bench_loadtest.py: a bare FastAPI app, same model.

It does what the generated service does on ``POST /v1/predict`` and nothing else: a
pydantic model of the same five fields, a one-row DataFrame, ``predict_proba`` in a
worker thread. No middleware, no error handlers, no settings, no dependencies, no
deadline, no response model, no authentication (an ``Authorization`` header is ignored).
The difference to the generated service is what the template's production shape costs
per request. The answer has the generated ``PredictResponse``'s fields (``fallback`` is
always false), so the project's load test accepts it as a valid answer.

It imports fastapi, pandas and joblib, so it runs in the generated project's environment,
from the project's root (``BENCH_MODEL_PATH`` overrides the model file):

    uv run --project <generated> python -m uvicorn bare_app:app --app-dir <repo>/benchmarks
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread
import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel

MODEL_PATH = Path(os.environ.get("BENCH_MODEL_PATH", "models/v1/model.joblib"))
COLUMNS = [
    "tenure_months",
    "monthly_charges",
    "support_tickets_90d",
    "contract_type",
    "payment_method",
]


class Features(BaseModel):
    tenure_months: int
    monthly_charges: float
    support_tickets_90d: int
    contract_type: Literal["month_to_month", "one_year", "two_year"]
    payment_method: Literal["card", "bank_transfer", "invoice"]


class PredictRequest(BaseModel):
    features: Features


estimator = joblib.load(MODEL_PATH)
metadata = json.loads((MODEL_PATH.parent / "metadata.json").read_text())
# The registry keeps them with the version's details; older model folders at the top level.
class_names: list[str] = metadata.get("details", metadata)["class_names"]
model_version = MODEL_PATH.parent.name


async def predict(body: PredictRequest) -> dict[str, Any]:
    row = pd.DataFrame([body.features.model_dump()], columns=COLUMNS)
    probabilities = await anyio.to_thread.run_sync(estimator.predict_proba, row)
    best = int(probabilities[0].argmax())
    return {
        "prediction": class_names[int(estimator.classes_[best])],
        "confidence": float(probabilities[0][best]),
        "model_version": model_version,
        "fallback": False,
        "fallback_reason": None,
    }


app = FastAPI()
app.add_api_route("/v1/predict", predict, methods=["POST"], response_model=None)
