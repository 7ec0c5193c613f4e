"""Simulated repair dispatch (procedures §4): a mix of categories and handover dates so both the
developer-warranty and the engineering routes run; most work orders pass the check."""
from __future__ import annotations

import random
from datetime import timedelta

from bench.policies import SKIP, Ctx, Policy, chance, person, phone, pick, room, text
from engine.clock import SHANGHAI, to_iso


def _delivered_on(rng: random.Random, ctx: Ctx) -> str:
    return (ctx["now"].astimezone(SHANGHAI) - timedelta(days=rng.randint(60, 7 * 365))).date().isoformat()


def _now(rng: random.Random, ctx: Ctx) -> str:
    return to_iso(ctx["now"].replace(microsecond=0))


POLICY = Policy(
    process="repair",
    start={"reporter": lambda rng, ctx: person(rng), "room": lambda rng, ctx: room(rng),
           "phone": lambda rng, ctx: phone(rng), "content": lambda rng, ctx: text(rng),
           "location": pick({"indoor": 6, "basement": 1, "meter_box": 1, "heating_shaft": 1, "corridor": 2,
                             "roof": 0.5, "grounds": 1, "lobby": 0.5, "vacant_unit": 0.3}),
           "category": pick({"hot_water": 15, "installation": 25, "decoration": 15, "waterproofing": 15,
                             "heating_cooling": 10, "other": 20}),
           "delivered_on": _delivered_on, "reported_at": SKIP},
    answers={
        "issue_contact": {"contact_no": lambda rng, ctx: f"LXD-{ctx['case']}", "developer_deadline": SKIP},
        "developer_confirm": {"developer_confirmed": chance(0.9)},
        "quote": {"quote_amount": lambda rng, ctx: round(rng.uniform(50, 800), 2), "owner_consent": chance(0.8)},
        "issue_work_order": {"work_order_no": lambda rng, ctx: f"WX-{ctx['case']}"},
        "arrive_on_site": {"arrived_at": _now},
        "engineering_repair": {"order_received_at": SKIP, "work_hours": lambda rng, ctx: round(rng.uniform(0.5, 6), 1),
                               "headcount": lambda rng, ctx: rng.randint(1, 3)},
        "check_work_order": {"accepted": chance(0.9)},
        "follow_up": {"satisfied": chance(0.9)},
        "follow_up_hot_water": {"satisfied": chance(0.9)},
    },
    start_hours=(8, 20),
)
