"""engine/rules/passwords.py: the standard library's scrypt, in the format the user rows hold."""
from engine.rules.passwords import check_password_hash, generate_password_hash


def test_a_hash_verifies_its_password_and_no_other() -> None:
    stored = generate_password_hash("王丽2026")
    assert stored.startswith("scrypt:32768:8:1$")
    assert check_password_hash(stored, "王丽2026")
    assert not check_password_hash(stored, "王丽2025")
    assert generate_password_hash("王丽2026") != stored          # a new salt each time


def test_a_hash_stored_by_werkzeug_before_still_verifies() -> None:
    from werkzeug.security import generate_password_hash as werkzeug_hash
    assert check_password_hash(werkzeug_hash("王丽2026"), "王丽2026")


def test_anything_that_is_not_such_a_hash_never_verifies() -> None:
    for stored in ("", "kept", "pbkdf2:sha256:1$salt$00", "scrypt:2:8:1$s", "scrypt:99999999:8:1$s$00"):
        assert not check_password_hash(stored, "kept")
