"""The timer loop behind `wuye serve` and `wuye worker`: fires each timer within about a second of
its due time, without a fixed poll.

**How it sleeps.** After each sweep the loop reads the earliest due time from the indexed column
``instances.next_timer_at`` (one index probe) and sleeps until just past it (timers fire when the
clock is strictly past due), but never longer than ``max_sleep``. It is woken early when a timer
may have become due sooner than that:

- *In this process:* engine.step.runtime marks every transaction that moves an instance's next timer
  earlier (a new instance, a step that arms a timer) with ``uow.signal_on_commit(TIMERS_CHANNEL)``;
  after the commit the unit of work calls the channel's in-process listeners, and every running
  loop listens. ``notify()`` does the same by hand. No Flask involved: the web app, the CLI and the
  engine all commit through the same unit of work.
- *Across processes, PostgreSQL:* the same transaction runs ``pg_notify('wuye_timers', '')``, which
  PostgreSQL delivers only when (and if) it commits. Each loop keeps one connection in ``LISTEN``
  on a small listener thread. A notification missed while that connection was down is covered by a
  wake-up after every reconnect and by ``max_sleep`` (30 s) as the safety net.
- *Across processes, SQLite* (one machine, no notifications): the loop re-reads the column at least
  every 0.5 s — an index probe — so a timer armed by another process is still fired in time.

A burst of wake-ups (a thousand instances started) collapses into one sweep: the event is cleared
before each sweep, and anything committed during it sets it again.

**Scheduled starts** (timer start events) are swept first, each schedule claimed the same way
(engine/usecases/scheduled_starts.py): one new instance per due moment, across every loop.

**Exactly once:** engine.usecases.timers claims each due instance with ``FOR UPDATE SKIP LOCKED``
in a transaction of its own, so any number of loops (threads, `wuye worker` processes, web servers)
may run against one database. A failing instance becomes an incident with backoff; the loop goes on.

**The clock:** the loop asks its Clock (SystemClock in production) what is due. SpiffWorkflow reads
the time through engine.spiff.run.clock_context, a context variable, i.e. per thread; every call into it
goes through runtime.step, which enters ``clock_context(clock)`` on the calling thread, so the
workflows fired by a loop thread see that loop's clock. Sleeping is in real seconds: with a
FixedClock (tests, ``--now``) business time stands still and the loop fires what is due at it.
"""
from __future__ import annotations

import logging
import os
import threading
import weakref
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.clock import Clock, SystemClock, to_iso
from engine.usecases.browse import next_timer_due
from engine.usecases.builtin_topics import serve_builtin_topics
from engine.usecases.checkpoints import checkpoint_if_due
from engine.usecases.external_tasks import EXTERNAL_CHANNEL
from engine.usecases.notifications import deliver_notifications, next_notice_due, notify_due_tasks
from engine.usecases.runner import Database, handle, on_commits, on_timer_commits, timer_commits_elsewhere
from engine.usecases.seals import seal_if_due
from engine.usecases.timers import fire_due_timers

log = logging.getLogger(__name__)

MAX_SLEEP_POSTGRES = 30.0   # safety net only: NOTIFY wakes the loop
MAX_SLEEP_SQLITE = 0.5      # SQLite cannot notify other processes: look this often
PAST_DUE = 0.005            # wake this long after the due time (timers fire strictly after it)
CONTENDED = 0.05            # the earliest due instance is held by another sweeper: look again soon
BATCH = 50                  # instances per fire_due_timers call; stop requests are honoured between
ERROR_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)   # after a sweep failed (database down, ...)
CHECKPOINT_LOOK = timedelta(minutes=10)       # how often the loop asks whether a checkpoint is due

_loops: weakref.WeakSet[TimerLoop] = weakref.WeakSet()
_loops_lock = threading.Lock()


def notify() -> None:
    """Wake every timer loop running in this process (they re-read the next due time)."""
    with _loops_lock:
        loops = list(_loops)
    for loop in loops:
        loop.wake()


def sleep_seconds(now: datetime, next_due: datetime | None, max_sleep: float) -> float:
    """How long to sleep when the earliest timer is due at ``next_due`` (None: no timer at all)."""
    if next_due is None:
        return max_sleep
    wait = (next_due - now).total_seconds()
    if wait < 0:
        return CONTENDED        # due, yet not claimable just now: another sweeper holds it
    return min(wait + PAST_DUE, max_sleep)


class TimerLoop:
    """Sweep, sleep until the next due time (or a wake-up), repeat — until ``stop()``.

    ``run()`` blocks (`wuye worker` runs it on the main thread); ``start()`` runs it on a daemon
    thread (`wuye serve`). Counters (sweeps, sleeps, fired, incidents) are for logs and tests."""

    def __init__(self, db: Database, clock: Clock | None = None, *, max_sleep: float | None = None,
                 name: str = "timers"):
        self.db = db
        self.clock = clock or SystemClock()
        self.postgres = db.engine.dialect.name == "postgresql"
        self.max_sleep = max_sleep if max_sleep is not None else (MAX_SLEEP_POSTGRES if self.postgres
                                                                  else MAX_SLEEP_SQLITE)
        self.name = name
        self.sweeps = self.sleeps = self.fired = self.incidents = self.started = self.notices = 0
        self.next_due: datetime | None = None
        self.ready = threading.Event()       # running, and (PostgreSQL) listening
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._checkpoint_looked: datetime | None = None

    # -- control ------------------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask the loop to finish; it completes the instance in hand (its transaction) first."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name=f"wuye-{self.name}", daemon=True)
        self._thread.start()
        return self._thread

    # -- the loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        with _loops_lock:
            _loops.add(self)
        stop_listening = on_timer_commits(self.wake)
        stop_throws = on_commits(EXTERNAL_CHANNEL, self.wake)     # a step here threw a message
        listener = timer_commits_elsewhere(self.db, self.wake, self._stopping)
        if listener is not None:
            listener.listening.wait(10)
        self.ready.set()
        log.info("%s: timer loop running (%s, max sleep %.1f s)", self.name, self.db.engine.dialect.name,
                 self.max_sleep)
        failures = 0
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    self.sweep()
                    self.checkpoint()
                    timeout = self.plan()
                    failures = 0
                except Exception:
                    timeout = ERROR_BACKOFF[min(failures, len(ERROR_BACKOFF) - 1)]
                    failures += 1
                    log.exception("%s: sweep failed; next attempt in %.0f s", self.name, timeout)
                self.sleeps += 1
                self._wake.wait(timeout)
        finally:
            stop_listening()
            stop_throws()
            with _loops_lock:
                _loops.discard(self)
            if listener is not None:
                listener.join(5)
            log.info("%s: timer loop stopped after %d sweeps: fired %d timers, %d incidents, started %d "
                     "scheduled instances", self.name, self.sweeps, self.fired, self.incidents, self.started)

    def sweep(self) -> list[dict[str, Any]]:
        """Fire everything due now, in batches, then do the built-in topics (messages instances threw,
        signals, letters: engine/usecases/builtin_topics.py); returns what fired and was done, and the incidents."""
        self.sweeps += 1
        results: list[dict[str, Any]] = []
        while not self._stopping.is_set():
            batch = handle(self.db, fire_due_timers, actor=None, clock=self.clock, limit=BATCH)
            if not batch:
                break
            results.extend(batch)
        if not self._stopping.is_set():
            results.extend(handle(self.db, serve_builtin_topics, actor=None, clock=self.clock))
        if not self._stopping.is_set():
            self.send_notices()
        incidents = sum(1 for r in results if "incident" in r)
        started = sum(1 for r in results if r.get("scheduled_start"))
        self.started += started
        self.fired += len(results) - incidents - started
        self.incidents += incidents
        if results:
            log.info("%s: fired %d timers, started %d scheduled instances, %d incidents", self.name,
                     len(results) - incidents - started, started, incidents)
        for r in results:
            log.debug("%s: %s", self.name, r)
        return results

    def send_notices(self) -> list[dict[str, Any]]:
        """The notices of tasks due soon or overdue, then the outbox: what is due to be sent now
        (engine/usecases/notifications.py). A channel that fails is retried later; the loop goes on."""
        handle(self.db, notify_due_tasks, actor=None, clock=self.clock)
        sent: list[dict[str, Any]] = handle(self.db, deliver_notifications, actor=None, clock=self.clock)
        self.notices += sum(1 for d in sent if "sent" in d)
        for d in sent:
            if "error" in d or "failed" in d:
                log.warning("%s: notice %s over %s not sent: %s", self.name, d["id"], d["channel"],
                            d.get("error") or d.get("failed"))
        return sent

    def checkpoint(self) -> Path | None:
        """Every WUYE_CHECKPOINT_HOURS (24) of the clock, a signed checkpoint of the log, written
        as a file into WUYE_CHECKPOINT_DIR (default: ``checkpoints/`` beside the signing key) for
        the auditors to collect: looked at once every CHECKPOINT_LOOK of this loop's clock."""
        now = self.clock.now()
        if self._checkpoint_looked is not None and now - self._checkpoint_looked < CHECKPOINT_LOOK:
            return None
        self._checkpoint_looked = now
        handle(self.db, seal_if_due, actor=None, clock=self.clock)     # the chain head, sealed (finding 13)
        made = handle(self.db, checkpoint_if_due, actor=None, clock=self.clock)
        if made is None:
            return None
        folder = Path(os.environ.get("WUYE_CHECKPOINT_DIR") or Path(made["key_file"]).parent / "checkpoints")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"checkpoint-{made['size']:09d}.txt"
        path.write_text(made["note"], encoding="utf-8")
        log.info("%s: signed checkpoint of %d events written to %s", self.name, made["size"], path)
        return path

    def plan(self) -> float:
        """Seconds to sleep: until just past the earliest next_timer_at (one index probe)."""
        self.next_due = handle(self.db, next_timer_due, actor=None, clock=self.clock)
        notice_due = handle(self.db, next_notice_due, actor=None, clock=self.clock)
        if notice_due is not None and (self.next_due is None or notice_due < self.next_due):
            self.next_due = notice_due
        seconds = sleep_seconds(self.clock.now(), self.next_due, self.max_sleep)
        log.debug("%s: next timer %s; sleeping %.3f s", self.name,
                  to_iso(self.next_due) if self.next_due else "none", seconds)
        return seconds
