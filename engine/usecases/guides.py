"""The case-library guide (M4 案例集锦) for a complaint's category, shown beside the handling form.

The library lives in engine/case_library.py (`guide_for(category)`); an instance that has no
category yet, or a category the library does not cover, simply gets no guide."""
from __future__ import annotations

import dataclasses
import importlib


def guide_for_data(data: dict) -> dict | None:
    category = data.get("category") if isinstance(data, dict) else None
    if not category:
        return None
    try:
        library = importlib.import_module("engine.case_library")
    except ModuleNotFoundError as e:
        if e.name != "engine.case_library":
            raise                      # the library exists but is broken: say so, do not hide it
        return None
    guide = library.guide_for(str(category))
    if guide is None:
        return None
    if dataclasses.is_dataclass(guide) and not isinstance(guide, type):
        guide = dataclasses.asdict(guide)
    if isinstance(guide, str):
        guide = {"text": guide}
    return {"category": str(category), **guide} if isinstance(guide, dict) else {"category": str(category),
                                                                                "text": str(guide)}
