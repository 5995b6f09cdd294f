"""Request and response models of the HTTP API, built on the feature contract."""

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


class PredictResponse(BaseModel):
    """What the service answers for one prediction."""

    model_config = ConfigDict(frozen=True)

    prediction: str = Field(description="The predicted class.")
    confidence: float = Field(ge=0, le=1, description="Probability of the predicted class.")
    model_version: str = Field(description="Version of the model that answered.")


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
