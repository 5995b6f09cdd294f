"""Write the demo raw data that ships in every generated project.

The data is synthetic and reproducible. Customers (classification) follow a known churn
model, so the demo classifier has real signal to learn and per-region slices to evaluate.
Messages (generation) are short customer messages, some with a summary written by hand.
Both carry a few records that break the contract the way real exports do (a value out of
range, a missing value, an unknown category, a repeated key, a row with a stray comma), so
that the pipeline's quarantine has something to show.

Run: uv run python scripts/make_sample_data.py
"""

from __future__ import annotations

import csv
import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

RAW = Path(__file__).resolve().parents[1] / "template" / "data" / "raw"
CUSTOMERS = RAW / "{% if task == 'classification' %}customers.csv{% endif %}"
MESSAGES = RAW / "{% if task == 'generation' %}messages.jsonl{% endif %}"
ROWS = 1000
MESSAGE_ROWS = 120
SEED = 20261126
#: The export's time: every record was read in the 30 days before it.
EXPORTED_AT = datetime(2026, 11, 20, tzinfo=UTC)

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


def _timestamp(rng: random.Random) -> str:
    moment = EXPORTED_AT - timedelta(seconds=rng.randrange(30 * 24 * 3600))
    return moment.isoformat().replace("+00:00", "Z")


def write_customers(rng: random.Random) -> None:
    header = [
        "customer_id",
        "tenure_months",
        "monthly_charges",
        "support_tickets_90d",
        "contract_type",
        "payment_method",
        "region",
        "updated_at",
        "churned",
    ]
    rows: list[list[object]] = []
    for index in range(ROWS):
        contract = rng.choices(CONTRACTS, weights=(0.5, 0.3, 0.2))[0]
        payment = rng.choice(PAYMENT_METHODS)
        region = rng.choice(REGIONS)
        tenure = min(120, int(rng.expovariate(1 / 24)))
        charges = round(min(400.0, max(10.0, rng.gauss(75.0, 30.0))), 2)
        tickets = min(20, int(rng.expovariate(1 / 1.5)))
        churned = int(rng.random() < churn_probability(tenure, charges, tickets, contract, payment))
        rows.append(
            [
                f"C{index + 1:05d}",
                tenure,
                charges,
                tickets,
                contract,
                payment,
                region,
                _timestamp(rng),
                churned,
            ]
        )
    # What real exports carry: each of these is quarantined with its reason.
    rows[41][1] = 700  # tenure_months out of range
    rows[97][5] = ""  # payment_method missing
    rows[203][4] = "weekly"  # contract_type not an allowed value
    rows[388][2] = "n/a"  # monthly_charges not a number
    rows.append([*rows[512][:7], "2026-10-01T08:00:00Z", rows[512][8]])  # older duplicate key
    with CUSTOMERS.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows[:650])
        handle.write("C00651,12,55.0,1,one_year,card,north,extra,2026-11-02T10:00:00Z,0\n")
        writer.writerows(rows[651:])


_OPENINGS = (
    "Hi,",
    "Hello team,",
    "Good morning,",
    "Dear support,",
)
_PROBLEMS = (
    (
        "I was charged twice for my {month} invoice",
        "Customer was charged twice for the {month} invoice",
    ),
    (
        "my internet has dropped every evening since {month}",
        "Customer's internet drops every evening since {month}",
    ),
    (
        "the router you sent in {month} never arrived",
        "Customer's router ordered in {month} never arrived",
    ),
    (
        "I moved house in {month} and my address is still wrong",
        "Customer's address is still wrong after a move in {month}",
    ),
    (
        "the discount promised in {month} is not on my bill",
        "Customer's discount promised in {month} is missing from the bill",
    ),
)
_ASKS = (
    ("Please refund the difference.", "and asks for a refund."),
    ("Can someone call me back?", "and asks for a call back."),
    ("Otherwise I will cancel my contract.", "and threatens to cancel."),
    ("What are my options?", "and asks for options."),
)
_MONTHS = ("July", "August", "September", "October", "November")


def write_messages(rng: random.Random) -> None:
    records: list[dict[str, object]] = []
    for index in range(MESSAGE_ROWS):
        problem, summary = rng.choice(_PROBLEMS)
        ask, ask_summary = rng.choice(_ASKS)
        month = rng.choice(_MONTHS)
        text = f"{rng.choice(_OPENINGS)} {problem.format(month=month)}. {ask}"
        reference = f"{summary.format(month=month)} {ask_summary}" if index % 3 == 0 else None
        records.append(
            {
                "message_id": f"M{index + 1:05d}",
                "text": text,
                "received_at": _timestamp(rng),
                "reference": reference,
                "channel": rng.choice(("email", "chat", "web")),
            }
        )
    records[17]["text"] = "   "  # blank message
    records[58]["received_at"] = "last tuesday"  # not a timestamp
    records.append({**records[90], "received_at": "2026-10-01T08:00:00Z"})  # older duplicate key
    with MESSAGES.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def main() -> None:
    RAW.mkdir(parents=True, exist_ok=True)
    write_customers(random.Random(SEED))  # noqa: S311 - reproducible synthetic data
    write_messages(random.Random(SEED))  # noqa: S311 - reproducible synthetic data


if __name__ == "__main__":
    main()
