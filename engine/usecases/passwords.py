"""A signed-in person changes their own password (the 修改密码 page): the current one is checked
under the sign-in rate limit, the new one must meet the strength rule, and every other session and
API token of that person ends at once (issue 14, finding 6), through the session generation.

The session that made the change stays signed in: it is the person who has just proved they know
both passwords, and being thrown out right after "saved" reads as a failure. It is given the new
generation (returned here), so a cookie copied before the change, a second browser and every token
are refused from their next request on."""
from __future__ import annotations

from engine.clock import Clock
from engine.errors import BadInput, Conflict
from engine.rules.passwords import MAX_LENGTH, PASSWORD_RULE, field_error, generate_password_hash, new_password_problems
from engine.rules.permissions import Actor
from engine.usecases.runner import handle, transactions, writes
from engine.usecases.sessions import LoginLimits, counted_attempt
from engine.usecases.users import check_password
from storage.uow import Database, UnitOfWork

__all__ = ["MAX_LENGTH", "PASSWORD_RULE", "change_own_password", "new_password_problems"]

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
    record, keys = counted_attempt(db, name=actor.name, address=address, clock=clock, limits=limits)
    if check_password(record, current) is None:
        raise BadInput("当前密码不对 (the current password is wrong)",
                       fields={"current": field_error("当前密码不对", "the current password is wrong")})
    generation: int = handle(db, _save_new_password, actor=actor, clock=clock, stored_hash=record.stored_hash,
                             new_hash=generate_password_hash(new), keys=keys, via=via)
    return generation


@writes
def _save_new_password(uow: UnitOfWork, *, actor: Actor, clock: Clock, stored_hash: str, new_hash: str,
                       keys: tuple[str, str], via: str) -> int:
    user = uow.users.get(actor.name)
    if user is None or not user.active or user.password_hash != stored_hash:
        raise Conflict("密码刚刚被修改过，请重新登录后再试 (the password was changed meanwhile)")
    uow.users.set_password(user, new_hash)
    uow.users.end_sessions(user)
    uow.logins.forgive(keys[0], [keys[1]])
    uow.events.append(type="password_changed", actor=actor.name, at=clock.now(),
                      data={"name": actor.name, "via": via, "other_sessions_ended": True})
    generation = uow.users.session_generation(actor.name)
    assert generation is not None      # the user was active in this very transaction
    return generation
