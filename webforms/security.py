"""Response headers every page gets, CSRF on cookie-session posts, and the login rate limiter.

CSP allows only this origin: the pages load no inline script (all JS is in static files, data is
passed in data-* attributes), and the bpmn-js viewer, Pico and our own files are served from
static/. CSRF tokens protect form posts made with the session cookie; a Bearer-token API call
cannot be forged by another site (a browser never adds an Authorization header on its own), so
the API checks CSRF only when it is called with the cookie (the inbox's own scripts send the
token in the X-CSRFToken header)."""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.extensions["wuye_login_limiter"] = LoginLimiter(app.config["LOGIN_MAX_FAILURES"],
                                                        timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW"]))

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if resp.mimetype in ("text/html", "application/json"):
            resp.headers["Cache-Control"] = "no-store"
        return resp


class LoginLimiter:
    """At most ``max_failures`` wrong passwords per (user name, address) within ``window``.

    Kept in this process's memory: enough for one server process (`wuye serve`, or gunicorn with
    one worker per machine); with several workers each counts on its own, so the effective limit is
    multiplied by the worker count. A success clears the count. Keys whose failures have all aged
    out are dropped, so a stream of wrong logins under ever new names cannot grow memory for good."""

    SWEEP_EVERY = 1000          # failures between sweeps of the aged-out keys

    def __init__(self, max_failures: int, window: timedelta):
        self.max_failures, self.window = max_failures, window
        self._failures: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._since_sweep = 0

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, name: str, address: str, now: datetime) -> int | None:
        """Seconds until this user may try again from this address, or None if not blocked."""
        key = (name.strip().lower(), address)
        with self._lock:
            q = self._recent(key, now)
            if len(q) < self.max_failures:
                return None
            return max(1, int((q[0] + self.window - now).total_seconds()) + 1)

    def failed(self, name: str, address: str, now: datetime) -> None:
        with self._lock:
            self._recent((name.strip().lower(), address), now).append(now)
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._since_sweep = 0
                for key in [k for k, q in self._failures.items() if not q or q[-1] <= now - self.window]:
                    del self._failures[key]

    def tracked(self) -> int:
        """How many (user name, address) pairs are remembered."""
        with self._lock:
            return len(self._failures)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name.strip().lower(), address), None)
