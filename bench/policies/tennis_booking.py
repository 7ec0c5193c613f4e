"""Simulated tennis bookings (M0 网球场管理规程): most owners book a whole hour one to three days ahead
within opening hours, two to six players; a few ask for a change, mostly for the weather."""
from __future__ import annotations

import random
from datetime import timedelta

from bench.policies import Ctx, Policy, chance, person, phone, pick, room
from engine.clock import SHANGHAI, to_iso


def _slot(rng: random.Random, ctx: Ctx) -> str:
    day = (ctx["now"] + timedelta(days=rng.randint(1, 3))).astimezone(SHANGHAI)
    return to_iso(day.replace(hour=rng.randint(7, 19), minute=0, second=0, microsecond=0))


def _new_slot(rng: random.Random, ctx: Ctx) -> str:
    day = (ctx["now"] + timedelta(days=rng.randint(1, 2))).astimezone(SHANGHAI)
    return to_iso(day.replace(hour=rng.randint(7, 19), minute=0, second=0, microsecond=0))


POLICY = Policy(
    process="tennis_booking",
    start={"booker": lambda rng, ctx: person(rng), "room": lambda rng, ctx: room(rng),
           "phone": lambda rng, ctx: phone(rng), "play_at": _slot,
           "hours": lambda rng, ctx: rng.choice((1, 1, 1, 2, 2)), "people": lambda rng, ctx: rng.randint(2, 6)},
    answers={
        "sell": {"amount_paid": lambda rng, ctx: 40.0 * int(ctx["data"]().get("hours") or 1),
                 "ticket_no": lambda rng, ctx: f"WQ-{ctx['case']}-{rng.randint(100, 999)}"},
        "change": {"change_reason": pick({"weather": 2, "other": 1}), "new_play_at": _new_slot,
                   "ticket_shown": chance(0.95)},
        "open_court": {"ticket_checked": True, "admitted": lambda rng, ctx: rng.randint(2, 6)},
    },
)
