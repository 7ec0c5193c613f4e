"""The case-library guide (M4 案例集锦) for a complaint's category, shown beside the handling form.

The library is engine/rules/case_library.py (`guide_for(category)` -> {category, name, source,
expectations[], guide[], scripts[], risk_hints[]}); an instance with no category yet, or a category
the library does not cover, simply gets no guide."""
from __future__ import annotations

from collections.abc import Mapping

from engine.rules import case_library


def guide_for_data(data: object, library: Mapping[str, case_library.CaseEntry] | None = None
                   ) -> case_library.CaseGuide | None:
    """``library``: the deployed version (engine.step.rule_tables); None reads the seed file."""
    category = data.get("category") if isinstance(data, dict) else None
    return case_library.guide_for(str(category), library) if category else None
