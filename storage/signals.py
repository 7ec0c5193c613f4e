"""Commit signals: "something you care about was committed", told to this process and to others.

The sending side is ``UnitOfWork.signal_on_commit(channel)``: when the transaction commits, the
channel's in-process listeners registered here are called, and on PostgreSQL the transaction has
also run ``pg_notify(channel)``, which PostgreSQL delivers to every LISTENing session at COMMIT
(and discards on rollback). The receiving side for other processes is ``PostgresListener``: one
connection in LISTEN on a small thread. The payload is empty: a signal means "look again", the
database stays the only source of truth, so a lost or duplicated signal costs a look, never a result.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_listeners: dict[str, list[Callable[[], None]]] = {}
_listeners_lock = threading.Lock()


def add_commit_listener(channel: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` after every commit in this process of a transaction that signalled
    ``channel``. It runs on the committing thread, so it must be quick (set an Event)."""
    with _listeners_lock:
        _listeners.setdefault(channel, []).append(callback)


def remove_commit_listener(channel: str, callback: Callable[[], None]) -> None:
    with _listeners_lock:
        if callback in _listeners.get(channel, []):
            _listeners[channel].remove(callback)


def signal_listeners(channels: set[str]) -> None:
    """Called by the unit of work after a commit."""
    with _listeners_lock:
        callbacks = [cb for ch in sorted(channels) for cb in _listeners.get(ch, [])]
    for cb in callbacks:
        try:
            cb()
        except Exception:  # the commit has happened; a listener must not undo that
            log.exception("commit listener %r failed", cb)


class PostgresListener(threading.Thread):
    """LISTEN on ``channel`` and call ``on_signal()`` for each notification, until ``stopping`` is
    set (checked every ``poll`` seconds). After every (re)connect ``on_signal()`` is called once,
    since whatever was committed while no connection listened was not heard. Connection failures
    are logged and retried with backoff; they never end the thread."""

    def __init__(self, url: str, channel: str, on_signal: Callable[[], None], stopping: threading.Event,
                 poll: float = 0.5):
        super().__init__(name=f"wuye-listen-{channel}", daemon=True)
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.channel, self.on_signal, self.stopping, self.poll = channel, on_signal, stopping, poll
        self.listening = threading.Event()

    def run(self) -> None:
        import psycopg
        from psycopg import sql

        delay = 0.5
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.listening.set()
                    self.on_signal()
                    delay = 0.5
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=self.poll):
                            self.on_signal()
            except psycopg.Error as e:
                self.listening.clear()
                log.warning("LISTEN %s: %s; reconnecting in %.1f s", self.channel, str(e).strip(), delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, 30.0)
        self.listening.clear()
