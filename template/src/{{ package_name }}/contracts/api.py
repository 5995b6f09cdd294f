"""Request and response models of the HTTP API, built on the feature contract."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .features import EXAMPLE, Features


class PredictRequest(BaseModel):
    """Body of ``POST /v1/predict``."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        json_schema_extra={"examples": [{"features": EXAMPLE}]},
    )

    features: Features


class FallbackReason(StrEnum):
    """Why the model's own answer was not returned."""

    LOW_CONFIDENCE = "low_confidence"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_ERROR = "model_error"
    DEADLINE_EXCEEDED = "deadline_exceeded"


class PredictResponse(BaseModel):
    """What the service answers for one prediction."""

    model_config = ConfigDict(frozen=True)

    prediction: str | None = Field(
        description="The predicted class; null when the service abstains (route to a human)."
    )
    confidence: float | None = Field(
        ge=0, le=1, description="Probability of the predicted class; null when unknown."
    )
    model_version: str | None = Field(
        description="What produced the prediction: a model version such as v3, or a fallback."
    )
    fallback: bool = Field(description="Whether a fallback answered instead of the model.")
    fallback_reason: FallbackReason | None = Field(
        description="Why the fallback answered; null when the model did."
    )


class ErrorDetail(BaseModel):
    """One problem with a request, located by its dotted field path."""

    field: str
    message: str
    type: str


class Error(BaseModel):
    code: str = Field(description="Stable machine-readable error code.")
    message: str = Field(description="What went wrong and how to fix it.")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Body of every 4xx and 5xx answer."""

    error: Error
