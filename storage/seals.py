"""The chain's seals, and the rows derived from the events as the deep audit reads them back."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ChainSeal, Instance, Task, Violation


class SealRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, seal: ChainSeal) -> None:
        self.s.add(seal)
        self.s.flush()

    def latest(self) -> ChainSeal | None:
        return self.s.scalars(select(ChainSeal).order_by(ChainSeal.seq.desc()).limit(1)).first()

    def all(self) -> list[ChainSeal]:
        return list(self.s.scalars(select(ChainSeal).order_by(ChainSeal.seq)))


class DerivedRows:
    """What the steps wrote beside their events, as plain rows: the deep audit compares each with
    the events that made it."""

    def __init__(self, session: Session):
        self.s = session

    def violations(self) -> Iterable[Any]:
        return self.s.execute(select(Violation.id, Violation.instance_id, Violation.deadline_id, Violation.responsible,
                                     Violation.amount).order_by(Violation.instance_id, Violation.at, Violation.id))

    def completed_tasks(self) -> Iterable[Any]:
        return self.s.execute(select(Task.id, Task.instance_id, Task.completed_by).where(Task.state == "completed"))

    def instance_statuses(self) -> Iterable[Any]:
        return self.s.execute(select(Instance.id, Instance.status).order_by(Instance.id))
