"""The instance's search text (engine/rules/search_text.py), written with every step's save, in
the same transaction: what the desk's search box finds is always what the instance now holds."""
from __future__ import annotations

from typing import Any

from engine.rules.fields import DataLabel, data_labels
from engine.rules.search_text import search_body
from storage.models import Instance
from storage.uow import UnitOfWork


def labels_of(meta: dict[str, Any]) -> dict[str, DataLabel]:
    """The definition's data labels (deploy keeps them in the meta; older versions: from the forms)."""
    if "labels" in meta:
        labels: dict[str, DataLabel] = meta["labels"]
        return labels
    forms = [meta.get("start_form", [])] + [el.get("form", []) for el in meta.get("elements", {}).values()]
    return data_labels(forms, {})


def index_instance(uow: UnitOfWork, instance: Instance, data: dict[str, Any]) -> None:
    meta = instance.definition.meta
    uow.search.put(instance.id, search_body(process_name=meta.get("name") or instance.process_id, room=instance.room,
                                            data=data, spec=meta.get("case"), labels=labels_of(meta)))


def index_missing(uow: UnitOfWork, batch: int = 500) -> int:
    """Write the search text of up to ``batch`` instances that have none (made before migration
    0021); returns how many. ``wuye init`` repeats it until none is left."""
    ids = uow.search.missing(batch)
    for instance in uow.instances.with_data(ids):
        index_instance(uow, instance, instance.data or {})
    return len(ids)
