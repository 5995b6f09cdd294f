"""Write the demo training data that ships in every generated project.

The data is synthetic and reproducible: a fixed seed and a known churn model, so the
demo classifier has real signal to learn and per-region slices to evaluate.

Run: uv run python scripts/make_sample_data.py
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "template" / "data" / "sample" / "train.csv"
ROWS = 1000
SEED = 20261126

CONTRACTS = ("month_to_month", "one_year", "two_year")
PAYMENT_METHODS = ("card", "bank_transfer", "invoice")
REGIONS = ("north", "south", "east", "west")


def churn_probability(
    tenure: int, charges: float, tickets: int, contract: str, payment: str
) -> float:
    score = -0.8
    score += {"month_to_month": 2.0, "one_year": 0.0, "two_year": -2.0}[contract]
    score += -0.06 * tenure
    score += 0.02 * (charges - 70.0)
    score += 0.6 * tickets
    score += {"card": 0.0, "bank_transfer": -0.3, "invoice": 0.7}[payment]
    return 1.0 / (1.0 + math.exp(-score))


def main() -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible synthetic data, not secrets
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "customer_id",
                "tenure_months",
                "monthly_charges",
                "support_tickets_90d",
                "contract_type",
                "payment_method",
                "region",
                "churned",
            ]
        )
        for index in range(ROWS):
            contract = rng.choices(CONTRACTS, weights=(0.5, 0.3, 0.2))[0]
            payment = rng.choice(PAYMENT_METHODS)
            region = rng.choice(REGIONS)
            tenure = min(120, int(rng.expovariate(1 / 24)))
            charges = round(min(400.0, max(10.0, rng.gauss(75.0, 30.0))), 2)
            tickets = min(20, int(rng.expovariate(1 / 1.5)))
            churned = int(
                rng.random() < churn_probability(tenure, charges, tickets, contract, payment)
            )
            writer.writerow(
                [f"C{index + 1:05d}", tenure, charges, tickets, contract, payment, region, churned]
            )


if __name__ == "__main__":
    main()
