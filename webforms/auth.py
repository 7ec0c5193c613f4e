"""Signing in and out: Flask-Login sessions, a CSRF-protected login form, passwords checked by the
engine (which writes the `login` event), and the rate limit shared with `POST /api/login`."""
from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.errors import WuyeError
from engine.rules.permissions import Actor
from engine.usecases.runner import Caller, UnknownActor
from engine.usecases.sessions import LoginLimits, TooManyLogins, log_in, log_out, session_generation
from webforms.calls import asking, call, current_actor

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class WebUser(UserMixin):
    """The signed-in person as Flask-Login sees them: the name and the session generation the
    session carries (``generation:name`` in the cookie). Who they are now (active, which groups,
    whether this session has been ended since) is resolved by the runner inside each use case's own
    unit of work, so loading the user costs no transaction; ``.actor`` is that resolved person."""

    def __init__(self, name: str, generation: int):
        self.name, self.generation = name, generation

    def get_id(self) -> str:
        return f"{self.generation}:{self.name}"

    @property
    def caller(self) -> Caller:
        return Caller(self.name, self.generation)

    @property
    def actor(self) -> Actor:
        return current_actor()


TooManyAttempts = TooManyLogins     # 429: refused before the password was checked


class LoginRefused(WuyeError):
    http_status = 401


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录 (please log in)"
    login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> WebUser | None:
    """No database here: a user deleted or deactivated, or a session ended (signed out elsewhere,
    password changed) since the session began, is refused by the first use case the request calls
    (UnknownActor), and webforms.errors then signs the session out. A cookie without a generation
    (made before sessions could be ended) is no session."""
    generation, sep, name = user_id.partition(":")
    if not sep or not (generation.isascii() and generation.isdigit()) or not name:
        return None
    return WebUser(name, int(generation))


def login_limits() -> LoginLimits:
    """The sign-in rate limit of this app (its config), shared by the login page, POST /api/login
    and the password-change page's check of the current password."""
    config = current_app.config
    return LoginLimits(per_user=int(config["LOGIN_MAX_FAILURES"]),
                       per_address=int(config["LOGIN_MAX_ADDRESS_FAILURES"]),
                       window=timedelta(seconds=int(config["LOGIN_FAILURE_WINDOW"])))


def attempt_login(name: str, password: str, *, via: str) -> Actor:
    """The actor for a right password; TooManyAttempts / LoginRefused otherwise. The limits are the
    app's LOGIN_MAX_FAILURES (per user name and address), LOGIN_MAX_ADDRESS_FAILURES (per address)
    and LOGIN_FAILURE_WINDOW (seconds); the counts are kept in the database (engine.usecases.sessions)."""
    actor = call(log_in, name=name, password=password, via=via, address=request.remote_addr or "",
                 limits=login_limits())
    if actor is None:
        raise LoginRefused("用户名或密码错误 (wrong user name or password)")
    return actor


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


def safe_next(target: str | None) -> str:
    """Only a path on this site (never //evil.example or https://...). Browsers read a backslash as
    a slash and drop tabs and newlines, so `/\\evil.example` and `/<tab>/evil.example` are
    refused too: any backslash, control character or space sends the person to the inbox."""
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and "\\" not in target and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form, status, error = LoginForm(), 200, None
    if form.validate_on_submit():
        try:
            # DataRequired has refused an empty field: the fallbacks only narrow wtforms' `str | None`.
            actor = attempt_login(form.username.data or "", form.password.data or "", via="web")
            generation = call(session_generation, actor=actor)
            session.clear()          # nothing from before sign-in (a planted CSRF token) survives it
            login_user(WebUser(actor.name, generation))
            return redirect(safe_next(request.args.get("next")))
        except (TooManyAttempts, LoginRefused) as e:
            status, error = (429 if isinstance(e, TooManyAttempts) else 200), e.message.split(" (")[0]
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Ends every session and API token of this user, on every server process (engine: log_out)."""
    with suppress(UnknownActor):     # already ended elsewhere: this session is signed out below
        call(log_out, actor=asking(), via="web")
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
