"""Simulated butlers' monthly visits (M0 管家走访): a plan that meets the 10 %-a-week rule, mostly
approved; door visits, a few by phone; a written reply when a question was left open."""
from __future__ import annotations

from bench.policies import Policy, chance, pick

POLICY = Policy(
    process="owner_visit",
    answers={
        "plan": {"moved_in_households": 60, "planned_visits": 30, "phone_visits_planned": 2},
        "approve": {"plan_approved": chance(0.9), "phone_consent": chance(0.7)},
        "visit": {"visit_way": pick({"door": 9, "phone": 1}), "more_visits": chance(0.9)},
        "summary": {"written_reply_needed": chance(0.4)},
    },
)
