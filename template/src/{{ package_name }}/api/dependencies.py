"""Dependencies shared by the routes, as ``Annotated`` aliases.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in
its thread pool, a hand-off that costs every request time and jitter for nothing here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ..monitoring.prediction_log import PredictionLog
from ..resilience.chain import PredictionService
from ..serving.rollout import RolloutRouter
from ..settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_service(request: Request) -> PredictionService:
    service: PredictionService = request.app.state.service
    return service


async def get_prediction_log(request: Request) -> PredictionLog | None:
    prediction_log: PredictionLog | None = request.app.state.prediction_log
    return prediction_log


async def get_rollout(request: Request) -> RolloutRouter:
    rollout: RolloutRouter | None = request.app.state.rollout
    if rollout is None:
        raise HTTPException(
            status_code=404, detail="This service was built with a fixed model; it has no rollout."
        )
    return rollout


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[PredictionService, Depends(get_service)]
RolloutDep = Annotated[RolloutRouter, Depends(get_rollout)]
PredictionLogDep = Annotated[PredictionLog | None, Depends(get_prediction_log)]
