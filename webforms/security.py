"""Response headers every page gets and CSRF on cookie-session posts (the login rate limit is the
engine's: engine.usecases.sessions).

CSP allows only this origin: the pages load no inline script (all JS is in static files, data is
passed in data-* attributes), and the bpmn-js viewer, Pico and our own files are served from
static/. CSRF tokens protect form posts made with the session cookie; a Bearer-token API call
cannot be forged by another site (a browser never adds an Authorization header on its own), so
the API checks CSRF only when it is called with the cookie (the inbox's own scripts send the
token in the X-CSRFToken header)."""
from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    csrf.init_app(app)

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
