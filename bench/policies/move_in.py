"""Simulated move-in staff (procedures §6): most owners come on time with their documents; about a
third of the houses have defects; the archive is mostly signed in full at the first check."""
from __future__ import annotations

import random
from datetime import timedelta

from bench.policies import Ctx, Policy, chance, person, phone, pick, room, text, working_hour
from engine.clock import to_iso
from engine.rules import desks


def _room(rng: random.Random, ctx: Ctx) -> str:
    served = sorted(set().union(*(d.buildings for d in desks.desk_table().desks.values())))
    return room(rng, rng.choice(served))


def _appointment(rng: random.Random, ctx: Ctx) -> str:
    return to_iso(working_hour(ctx["now"] + timedelta(days=rng.randint(1, 4)), rng))


POLICY = Policy(
    process="move_in",
    start={"owner": lambda rng, ctx: person(rng), "room": _room,
           "building": lambda rng, ctx: int(ctx["filled"]["room"].split("-")[0]),
           "phone": lambda rng, ctx: phone(rng), "appointment_at": _appointment},
    answers={
        "receive_owner": {"owner_present": chance(0.92), "documents_complete": chance(0.95)},
        "reschedule": {"appointment_at": _appointment,
                       "reschedule_reason": pick({"业主出差": 1, "证件未带齐": 1, "业主临时有事": 2})},
        "paperwork": {"contract_copied": True, "id_copied": True, "move_in_file_filled": True,   # required now
                      "convention_explained": True,
                      "fees_due": lambda rng, ctx: round(rng.uniform(1800, 6500), 2)},
        "collect_fees": {"amount_received": lambda rng, ctx: ctx["data"]().get("fees_due") or 0,
                         "receipt_no": lambda rng, ctx: f"SJ-{ctx['case']}-{rng.randint(1000, 9999)}"},
        "hand_keys": {"keys_handed": chance(0.95), "door_keys": 3, "mailbox_keys": 2},
        "inspect_house": {"inspection_issues": chance(0.3),
                          "issue_list": lambda rng, ctx: text(rng) if ctx["filled"].get("inspection_issues") else "",
                          "a_key_to_developer": lambda rng, ctx: bool(ctx["filled"].get("inspection_issues")),
                          "inspection_form_no": lambda rng, ctx: f"YF-{ctx['case']}"},
        "build_archive": {"signatures_complete": chance(0.85),
                          "missing_from": pick({"front_desk": 3, "finance": 1, "inspector": 1})},
        "confirm_repair": {"owner_accepts": chance(0.85)},
        "inform_owner_delay": {"delay_told": True},
    },
)
