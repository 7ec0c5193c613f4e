"""Passwords: the strength rule a new one must meet, and the hashes, scrypt from the standard library,
stored as ``scrypt:N:r:p$salt$hex``.

The format is the one the user rows already hold (Werkzeug wrote it before this module existed), so
every stored hash keeps verifying. Comparison is constant-time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from engine.errors import FieldError

N, R, P = 2**15, 8, 1
_SALT_CHARS = string.ascii_letters + string.digits


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()


def generate_password_hash(password: str) -> str:
    salt = "".join(secrets.choice(_SALT_CHARS) for _ in range(16))
    return f"scrypt:{N}:{R}:{P}${salt}${_scrypt(password, salt, N, R, P)}"


def check_password_hash(stored: str, password: str) -> bool:
    """False for a wrong password and for anything that is not a hash this module wrote."""
    try:
        method, salt, expected = stored.split("$", 2)
        name, n, r, p = method.split(":")
        params = int(n), int(r), int(p)
    except ValueError:
        return False
    if name != "scrypt" or not (2 <= params[0] <= 2**20 and 1 <= params[1] <= 32 and 1 <= params[2] <= 16):
        return False
    return hmac.compare_digest(_scrypt(password, salt, *params), expected)


MIN_LENGTH = 8
MAX_LENGTH = 200          # the login form's own cap: a longer password could never be typed there
PASSWORD_RULE = f"至少 {MIN_LENGTH} 个字符，不能全是数字，不能包含用户名，不能与当前密码相同"


def field_error(message: str, en: str) -> FieldError:
    return {"key": "password.rule", "message": message, "en": en}


def new_password_problems(name: str, current: str, new: str, repeat: str) -> dict[str, FieldError]:
    """What is wrong with the new password as typed twice (empty: nothing), field by field."""
    problems: dict[str, FieldError] = {}
    if not current:
        problems["current"] = field_error("请输入当前密码", "type your current password")
    if not new:
        problems["new"] = field_error("请输入新密码", "type a new password")
    elif len(new) < MIN_LENGTH:
        problems["new"] = field_error(f"新密码至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters")
    elif len(new) > MAX_LENGTH:
        problems["new"] = field_error(f"新密码最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters")
    elif new.isdigit():
        problems["new"] = field_error("新密码不能全是数字", "not only digits")
    elif name.lower() in new.lower():
        problems["new"] = field_error("新密码不能包含用户名", "must not contain the user name")
    elif new == current:
        problems["new"] = field_error("新密码不能与当前密码相同", "must differ from the current password")
    if "new" not in problems and new != repeat:
        problems["repeat"] = field_error("两次输入的新密码不一致", "the two new passwords differ")
    return problems
