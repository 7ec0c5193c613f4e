"""Password hashes: scrypt from the standard library, stored as ``scrypt:N:r:p$salt$hex``.

The format is the one the user rows already hold (Werkzeug wrote it before this module existed), so
every stored hash keeps verifying. Comparison is constant-time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

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
