"""The feature contract: the one definition of a valid model input.

REPLACE THIS with your own features. Everything else (the request model of
``POST /v1/predict``, validation of training data, the columns the model is fitted on)
is derived from the class below, so the service and the training code cannot drift apart.

The demo contract describes a telecom customer for churn prediction. Every field has a
type, bounds and, for categories, the allowed values: a request or training row outside
them is refused with a message naming the field.
"""

from typing import Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, JsonValue

ContractType = Literal["month_to_month", "one_year", "two_year"]
PaymentMethod = Literal["card", "bank_transfer", "invoice"]


class Features(BaseModel):
    """One customer, as the model sees them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    tenure_months: int = Field(ge=0, le=600, description="Months since the customer signed up.")
    monthly_charges: float = Field(ge=0, le=10_000, description="Current monthly bill.")
    support_tickets_90d: int = Field(
        ge=0, le=1_000, description="Support tickets opened in the last 90 days."
    )
    contract_type: ContractType = Field(description="Current contract length.")
    payment_method: PaymentMethod = Field(description="How the customer pays.")


#: Column of the training data that holds the label (1 = churned, 0 = stayed).
LABEL_COLUMN = "churned"
#: Human-readable names of the label values, indexed by the label.
CLASS_NAMES = ("stays", "churns")

#: A valid example, shown in the OpenAPI docs and used by the tests.
EXAMPLE: dict[str, JsonValue] = {
    "tenure_months": 8,
    "monthly_charges": 89.5,
    "support_tickets_90d": 3,
    "contract_type": "month_to_month",
    "payment_method": "invoice",
}

FEATURE_COLUMNS: tuple[str, ...] = tuple(Features.model_fields)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(
    name for name, field in Features.model_fields.items() if get_origin(field.annotation) is Literal
)
NUMERIC_FEATURES: tuple[str, ...] = tuple(
    name for name in FEATURE_COLUMNS if name not in CATEGORICAL_FEATURES
)
