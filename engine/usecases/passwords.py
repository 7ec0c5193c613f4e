"""A signed-in person changes their own password (the 修改密码 page): the current one is checked
under the sign-in rate limit, the new one must meet the strength rule, and every other session and
API token of that person ends at once (issue 14, finding 6), through the session generation.

The session that made the change stays signed in: it is the person who has just proved they know
both passwords, and being thrown out right after "saved" reads as a failure. It is given the new
generation (returned here), so a cookie copied before the change, a second browser and every token
are refused from their next request on."""
from __future__ import annotations

from werkzeug.security import generate_password_hash

from engine.clock import Clock
from engine.errors import BadInput, Conflict, FieldError
from engine.rules.permissions import Actor
from engine.usecases.runner import transactions
from engine.usecases.sessions import LoginLimits, counted_attempt
from engine.usecases.users import check_password
from storage.uow import Database

MIN_LENGTH = 8
MAX_LENGTH = 200          # the login form's own cap: a longer password could never be typed there
PASSWORD_RULE = f"至少 {MIN_LENGTH} 个字符，不能全是数字，不能包含用户名，不能与当前密码相同"


def _field(message: str, en: str) -> FieldError:
    return {"key": "password.rule", "message": message, "en": en}


def new_password_problems(name: str, current: str, new: str, repeat: str) -> dict[str, FieldError]:
    """What is wrong with the new password as typed twice (empty: nothing), field by field."""
    problems: dict[str, FieldError] = {}
    if not current:
        problems["current"] = _field("请输入当前密码", "type your current password")
    if not new:
        problems["new"] = _field("请输入新密码", "type a new password")
    elif len(new) < MIN_LENGTH:
        problems["new"] = _field(f"新密码至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters")
    elif len(new) > MAX_LENGTH:
        problems["new"] = _field(f"新密码最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters")
    elif new.isdigit():
        problems["new"] = _field("新密码不能全是数字", "not only digits")
    elif name.lower() in new.lower():
        problems["new"] = _field("新密码不能包含用户名", "must not contain the user name")
    elif new == current:
        problems["new"] = _field("新密码不能与当前密码相同", "must differ from the current password")
    if "new" not in problems and new != repeat:
        problems["repeat"] = _field("两次输入的新密码不一致", "the two new passwords differ")
    return problems


@transactions
def change_own_password(db: Database, *, actor: Actor, clock: Clock, current: str, new: str, repeat: str,
                        limits: LoginLimits, address: str = "", via: str = "web") -> int:
    """The session generation the asking session carries from now on; BadInput naming the field,
    or TooManyLogins (engine.usecases.sessions; the current password unchecked) past the sign-in limit.

    Like signing in, no transaction is open while a password is hashed: a read (the limit, the
    stored hash), the attempt counted under the same keys as a sign-in of this name from this
    address (a stolen session cannot guess the password faster than the login page allows), the
    check and the new hash with nothing open, then one short write."""
    problems = new_password_problems(actor.name, current, new, repeat)
    if problems:
        raise BadInput("新密码不符合要求 (the new password was refused)", fields=problems)
    now = clock.now()
    record, (user_key, address_key) = counted_attempt(db, name=actor.name, address=address, now=now, limits=limits)
    if check_password(record, current) is None:
        raise BadInput("当前密码不对 (the current password is wrong)",
                       fields={"current": _field("当前密码不对", "the current password is wrong")})
    new_hash = generate_password_hash(new)
    with db.uow() as uow:
        user = uow.users.get(actor.name)
        if user is None or not user.active or user.password_hash != record.stored_hash:
            raise Conflict("密码刚刚被修改过，请重新登录后再试 (the password was changed meanwhile)")
        uow.users.set_password(user, new_hash)
        uow.users.end_sessions(user)
        uow.logins.forgive(user_key, [address_key])
        uow.events.append(type="password_changed", actor=actor.name, at=now,
                          data={"name": actor.name, "via": via, "other_sessions_ended": True})
        generation = uow.users.session_generation(actor.name)
        uow.commit()
    assert generation is not None      # the user was active in this very transaction
    return generation
