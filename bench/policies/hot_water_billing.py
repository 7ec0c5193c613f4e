"""Simulated butlers reading the hot-water meters (M0 热水 3.1.3): a ledger of a few households in
the form the task asks for (房号 业主 上期读数 本期读数), a unit price, the notices and payments."""
from __future__ import annotations

import random

from bench.policies import Ctx, Policy, person, room


def _ledger(rng: random.Random, ctx: Ctx) -> str:
    rows = []
    for _ in range(rng.randint(3, 8)):
        previous = round(rng.uniform(50, 400), 1)
        rows.append(f"{room(rng)} {person(rng)} {previous} {round(previous + rng.uniform(2, 30), 1)}")
    return "\n".join(rows)


POLICY = Policy(
    process="hot_water_billing",
    answers={
        "read_meters": {"unit_price": 25.0, "meter_ledger": _ledger, "owners_notified": True},
        "record_payments": {"paid_households": lambda rng, ctx: int(ctx["data"]().get("households") or 0),
                            "paid_amount": lambda rng, ctx: float(ctx["data"]().get("total_amount") or 0)},
    },
)
