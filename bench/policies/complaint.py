"""Simulated complaint handling (procedures §3): mostly valid complaints by phone, a few
collective (five or more households) and major ones; nine owners in ten satisfied at follow-up."""
from __future__ import annotations

import random

from bench.policies import SKIP, Ctx, Policy, chance, person, phone, pick, room, text
from engine.clock import to_iso


def _households(rng: random.Random, ctx: Ctx) -> int:
    return rng.randint(5, 30) if rng.random() < 0.04 else 1


def _now(rng: random.Random, ctx: Ctx) -> str:
    return to_iso(ctx["now"].replace(microsecond=0))


POLICY = Policy(
    process="complaint",
    start={"complainant": lambda rng, ctx: person(rng), "room": lambda rng, ctx: room(rng),
           "phone": lambda rng, ctx: phone(rng),
           "channel": pick({"phone": 6, "visit": 3, "letter": 0.5, "email": 0.3, "mailbox": 0.2,
                            "developer_transfer": 0.7, "other": 0.3}),
           "content": lambda rng, ctx: text(rng), "received_at": SKIP, "households": _households,
           "first_receiver": SKIP},
    answers={
        "classify": {"complaint_type": pick({"valid": 72, "assist": 12, "invalid": 12, "collective": 4}),
                     "severity": pick({"general": 80, "important": 15, "major": 5}),
                     "responsible_dept": pick({"engineering": 35, "security": 15, "cleaning": 15, "front_desk": 15,
                                               "finance": 5, "developer": 10, "external": 5})},
        "elevator_record": {"trapped_at": _now, "maintenance_arrived_at": _now},
        "elevator_service": {"restored_at": _now},
        **{f"handle_{d}": {"finished_at": _now}
           for d in ("engineering", "security", "cleaning", "front_desk", "finance", "repeat")},
        "developer_solution": {"finished_at": _now},
        "report_external": {"finished_at": _now},
        "followup": {"satisfied": chance(0.9), "door_visit_required": chance(0.08), "door_visit_at": SKIP},
        "door_visit": {"satisfied": chance(0.95)},
        "audit_record": {"record_missing": lambda rng, ctx: rng.choices((0, 1, 2), (95, 4, 1))[0],
                         "audit_signed": True},
        "manager_review": {"reviewed": True},
        "close": {"archived": True},
    },
    start_hours=None,                    # the dispatch centre takes complaints round the clock
)
