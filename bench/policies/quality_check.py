"""Simulated quality officers (M0 品质检查): about a third of the checks find something to rectify;
departments mostly rectify in time and most re-inspections pass."""
from __future__ import annotations

from datetime import timedelta

from bench.policies import Policy, chance, pick
from engine.clock import to_iso

POLICY = Policy(
    process="quality_check",
    answers={
        "inspect": {"has_findings": chance(0.3),
                    "responsible_dept": pick({"engineering": 2, "cleaning": 2, "security": 1, "front_desk": 1}),
                    "rectify_by": lambda rng, ctx: to_iso(ctx["now"] + timedelta(days=rng.randint(1, 3)))},
        "reinspect": {"passed": chance(0.85),
                      "new_rectify_by": lambda rng, ctx: to_iso(ctx["now"] + timedelta(days=2))},
    },
)
