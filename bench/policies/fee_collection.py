"""Simulated fee collection (procedures §5): notices go out early in the month; most owners pay in
full before the due date, some pay part first, some only after the letters start, and about one in
five does not pay at all, which walks the case down the letters towards the lawyer."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from bench.policies import Ctx, Json, Policy, chance, person, room
from engine.clock import SHANGHAI, parse_instant

PAYMENT = "payment_received"


def _due_date(rng: random.Random, ctx: Ctx) -> str:
    return (ctx["now"].astimezone(SHANGHAI) + timedelta(days=rng.randint(5, 12))).date().isoformat()


def payments(rng: random.Random, data: Json, started: datetime) -> list[tuple[timedelta, str, Json]]:
    """(delay after the start, message, payload) of each payment this owner will make."""
    amount = float(data["amount_due"])
    until_due = parse_instant(data["due_date"]) - started + timedelta(hours=12)
    early = timedelta(seconds=rng.uniform(0.1, 0.9) * until_due.total_seconds())
    late = until_due + timedelta(days=rng.uniform(3, 20))
    behaviour = rng.choices(["on_time", "in_parts", "after_letters", "never"], [55, 10, 15, 20])[0]
    if behaviour == "on_time":
        return [(early, PAYMENT, {"amount": amount})]
    if behaviour == "in_parts":
        part = round(amount * rng.uniform(0.3, 0.7), 2)
        return [(early, PAYMENT, {"amount": part}), (late, PAYMENT, {"amount": round(amount - part, 2)})]
    if behaviour == "after_letters":
        return [(late, PAYMENT, {"amount": amount})]
    return []


POLICY = Policy(
    process="fee_collection",
    start={"owner": lambda rng, ctx: person(rng), "room": lambda rng, ctx: room(rng),
           "period": lambda rng, ctx: ctx["now"].astimezone(SHANGHAI).strftime("%Y-%m"),
           "amount_due": lambda rng, ctx: round(rng.uniform(300, 5000), 2), "due_date": _due_date},
    answers={
        "ask_reason": {"objection_valid": chance(0.1)},
        "rectify": {"owner_satisfied": chance(0.8)},
        "check_response": {"responded": chance(0.4)},
    },
    payments=payments,
    start_days=(0.0, 0.25),
)
