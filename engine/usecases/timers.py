"""fire_due_timers: the sweep. Each due instance is its own transaction, taken with a row lock that
other sweepers skip (PostgreSQL: FOR UPDATE SKIP LOCKED), so each timer fires exactly once however
many workers run. A failing instance becomes an incident with backoff and never blocks the rest."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from engine import runtime
from engine.clock import Clock, to_iso
from engine.permissions import TIMER
from storage.uow import ConcurrentUpdate, UnitOfWork

MAX_BACKOFF = timedelta(hours=1)


def fire_due_timers(uows: Callable[..., UnitOfWork], *, clock: Clock, batch: int = 200,
                    limit: int | None = None) -> list[dict]:
    """Fire every timer due at the clock's time; returns what fired (and any incidents)."""
    now = clock.now()
    seen: set[int] = set()
    out: list[dict] = []
    while limit is None or len(seen) < limit:
        with uows(readonly=True) as uow:
            ids = [i for i in uow.instances.due_ids(now, batch + len(seen)) if i not in seen]
        if not ids:
            break
        for instance_id in ids[: (limit - len(seen)) if limit else None]:
            seen.add(instance_id)
            out.extend(_fire_one(uows, instance_id, clock))
    return out


def _fire_one(uows, instance_id: int, clock: Clock) -> list[dict]:
    now = clock.now()
    try:
        with uows() as uow:
            instance = uow.instances.get(instance_id, for_update=True, skip_locked=True)
            if instance is None or instance.next_timer_at is None or instance.next_timer_at >= now:
                return []            # another worker has it, or already fired it
            events = runtime.step(uow, instance, TIMER, clock, lambda r: None)
            instance.retries = 0
            uow.commit()
            return [{"instance": instance_id, "process": instance.process_id, "timer": e.data.get("name"),
                     "title": e.data.get("title"), "task": e.task_id, "at": to_iso(e.at)}
                    for e in events if e.type == "timer_fired"]
    except ConcurrentUpdate:
        return []
    except runtime.ProcessFailed as failure:
        return [_incident(uows, instance_id, clock, failure.message)]


def _incident(uows, instance_id: int, clock: Clock, message: str) -> dict:
    """Keep the state as it was; record the failure; retry later with exponential backoff."""
    now = clock.now()
    with uows() as uow:
        instance = uow.instances.get(instance_id, for_update=True)
        instance.retries = (instance.retries or 0) + 1
        delay = min(timedelta(minutes=2 ** min(instance.retries - 1, 10)), MAX_BACKOFF)
        instance.error = message
        instance.next_timer_at = now + delay
        uow.events.append(type="incident", actor=TIMER.name, at=now, instance_id=instance_id,
                          data={"error": message, "retries": instance.retries, "retry_at": to_iso(now + delay)})
        uow.commit()
    return {"instance": instance_id, "incident": message, "retry_at": to_iso(now + delay)}
