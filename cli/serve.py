"""`wuye serve` (the web app with the timer loop on a background thread) and `wuye worker` (the
timer loop alone, for deployments with several processes on PostgreSQL).

Who runs the timer loop:
- `wuye serve` runs one, unless ``WUYE_TIMER_LOOP=off`` (when `wuye worker` processes do it).
- Under gunicorn (``gunicorn -w 4 'webforms:create_app()'``) the web processes run none:
  ``create_app()`` never starts a loop, so four web workers do not mean four sweepers. Run one or
  more `wuye worker` beside them. Several loops are safe (each timer fires exactly once) — only
  wasteful.
Both log with timestamps to stderr and stop cleanly on SIGTERM/SIGINT: the instance in hand is
finished (its transaction committed or rolled back), then the process exits 0."""
from __future__ import annotations

import inspect
import logging
import os
import signal
import threading
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING

from cli.timer_loop import TimerLoop
from engine.clock import Clock, SystemClock
from engine.errors import WuyeError
from engine.usecases.runner import Database

if TYPE_CHECKING:              # the annotation only: Flask is imported by _create_app alone
    from flask import Flask

log = logging.getLogger("wuye")

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"
_OFF = {"0", "off", "false", "no"}


class WebAppMissing(WuyeError):
    exit_code = 1


def timer_loop_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """`wuye serve` runs the timer loop unless WUYE_TIMER_LOOP is 0/off/false/no."""
    return environ.get("WUYE_TIMER_LOOP", "on").strip().lower() not in _OFF


def configure_logging() -> None:
    level = os.environ.get("WUYE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format=LOG_FORMAT)
    # SpiffWorkflow logs every task state change at INFO: thousands of lines per sweep
    for name in ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics"):
        logging.getLogger(name).setLevel(logging.WARNING)


def worker(db: Database, clock: Clock | None = None) -> None:
    """The timer loop on the main thread until SIGTERM or SIGINT (a second one forces the exit)."""
    configure_logging()
    loop = TimerLoop(db, clock or SystemClock(), name="worker")

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: finishing the instance in hand, then stopping", signal.Signals(signum).name)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        loop.stop(timeout=None)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("wuye worker started (pid %d)", os.getpid())
    loop.run()
    log.info("wuye worker stopped")


def serve(db: Database, host: str, port: int, clock: Clock | None = None) -> None:
    """The Flask app (threaded development server) with the timer loop on a daemon thread."""
    configure_logging()
    clock = clock or SystemClock()
    app = _create_app(db, clock)
    loop = None
    if timer_loop_enabled():
        loop = TimerLoop(db, clock, name="serve")
        loop.start()
    else:
        log.info("WUYE_TIMER_LOOP=%s: no timer loop in this process", os.environ.get("WUYE_TIMER_LOOP"))

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt          # the server's own clean exit path, as for Ctrl-C

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_sigterm)
    log.info("wuye serve on http://%s:%d/ (pid %d)", host, port, os.getpid())
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)
    except KeyboardInterrupt:
        pass
    finally:
        if loop is not None:
            loop.stop(timeout=30)
        log.info("wuye serve stopped")


def _create_app(db: Database, clock: Clock) -> Flask:
    """``webforms.create_app`` with this process's database and clock (imported only here, so the
    rest of the CLI never loads Flask)."""
    try:
        from webforms import create_app
    except ImportError as e:
        raise WebAppMissing(f"网页应用不可用 (the web app cannot be loaded: {e}); "
                            "`wuye worker` runs the timer loop without it") from None
    params = inspect.signature(create_app).parameters
    return create_app({"DATABASE": db, "CLOCK": clock}) if params else create_app()
