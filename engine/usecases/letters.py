"""list_letters / get_letter: the collection letters an instance has issued (提示函 … 律师函), for
the web, the API and ``wuye show``. Reading a letter re-hashes its stored HTML: ``intact`` is False
when the row no longer matches the hash it was issued with (also carried by its ``letter_issued``
event in the hash-chained log), i.e. when someone edited a letter after it was sent."""
from __future__ import annotations

from engine.clock import Clock
from engine.errors import NotFound
from engine.rules.letters import LetterJson, letter_json
from engine.rules.permissions import Actor
from engine.step import runtime
from engine.usecases.case_access import may_view_case
from engine.usecases.runner import reads
from storage.models import Letter
from storage.uow import UnitOfWork


@reads
def list_letters(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int) -> list[LetterJson]:
    instance = runtime.get_instance(uow, instance_id)
    may_view_case(uow, actor, instance)
    return [letter_json(letter) for letter in uow.letters.for_instance(instance.id)]


@reads
def get_letter(uow: UnitOfWork, *, actor: Actor, clock: Clock, letter: int | str) -> LetterJson:
    """One letter with its HTML, by id or by number (e.g. CJ-2026-000123)."""
    row = _find(uow, letter)
    if row is None:
        raise NotFound(f"没有此函件 (no letter {letter})")
    may_view_case(uow, actor, runtime.get_instance(uow, row.instance_id))
    return letter_json(row, with_html=True)


def _find(uow: UnitOfWork, letter: int | str) -> Letter | None:
    if isinstance(letter, int) or (str(letter).isascii() and str(letter).isdigit()):
        return uow.letters.get(int(letter)) if int(letter) <= 2**63 - 1 else None    # no row has a larger id
    return uow.letters.by_number(str(letter).strip())
