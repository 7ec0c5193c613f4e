"""Response headers every page gets and CSRF on cookie-session posts (the login rate limit is the
engine's: engine.usecases.sessions).

CSP allows only this origin: the pages load no inline script (all JS is in static files, data is
passed in data-* attributes), and the bpmn-js viewer, Pico and our own files are served from
static/. CSRF tokens protect form posts made with the session cookie; a Bearer-token API call
cannot be forged by another site (a browser never adds an Authorization header on its own), so
the API checks CSRF only when it is called with the cookie (the inbox's own scripts send the
token in the X-CSRFToken header)."""
from __future__ import annotations

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from engine import inputs

csrf = CSRFProtect()

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def refuse_bad_text() -> ResponseReturnValue | None:
    """Every request's query string, form fields, URL parts and JSON body, checked at their limits
    by engine/inputs.py before any view or login reads them (NUL, lone surrogates, numbers past
    their digits, nesting): 422 naming the field. On PostgreSQL a NUL was a driver error (500) in
    filters, sign-in and ids; on SQLite it was stored silently."""
    from webforms.errors import error_response
    try:
        for where, values in (("", request.args), ("", request.form)):
            for key in values:
                inputs.check_text(key, inputs.printable(key))
                for value in values.getlist(key):
                    inputs.check_text(value, inputs.printable(where + key))
        for key, value in (request.view_args or {}).items():
            if isinstance(value, str):
                inputs.check_text(value, key)
        if request.is_json and request.content_length:
            try:
                body = request.get_json(silent=True)
            except RecursionError:      # nested past the decoder's depth: the view says 400
                body = None
            if body is not None:
                inputs.check_value(body, "")
    except inputs.Refused as e:
        refused = e.bad_input()
        return error_response(422, refused.message, refused.fields)
    return None


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(refuse_bad_text)

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
