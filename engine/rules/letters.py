"""The collection letters of M0 物业收费及催缴管理规程 二、3–6: 提示函, 催缴函, 紧急催缴函 and 律师函.

What a letter says and how it looks: the kinds and their time limits, the debt as the instance's
data states it, the late fee, and the HTML. A step issues them (engine/step/documents.py: numbered,
stored with their sha-256 and announced in the hash-chained event log — the proof that the owner was
催告'd). Rendering is Jinja2 with autoescape on: owner names and periods come
from forms and must never become markup.

Money is Decimal, rounded half-up to the fen; the late fee is daily rate × each amount × the days
it was owed past the due date: the balance up to the clock's date in Shanghai, each payment (the
process's ``payments``) up to the day it was paid."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import NotRequired, TypedDict

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from engine.clock import to_iso
from engine.errors import WuyeError
from storage.models import Letter

TEMPLATES = Path(__file__).resolve().parent / "templates" / "letters"
FEN = Decimal("0.01")
DEFAULT_LATE_FEE_RATE = Decimal("0.0003")     # procedures.md §5 (default, configurable)


@dataclass(frozen=True)
class LetterKind:
    kind: str
    title: str          # as printed on the letter
    prefix: str         # of the letter number, e.g. CJ-2026-000123
    reply_days: int     # the time limit the letter gives the owner (M0 二、3–7)


KINDS: dict[str, LetterKind] = {k.kind: k for k in (
    LetterKind("reminder", "提示函", "TS", 7),
    LetterKind("demand", "催缴函", "CJ", 7),
    LetterKind("urgent", "紧急催缴函", "JJ", 7),
    LetterKind("lawyer", "律师函", "LS", 3),
)}


class LetterFailed(WuyeError):
    """The letter could not be issued (unknown kind, or the instance lacks what the letter must
    name); the whole step is refused, so no task completes without its letter."""
    exit_code = 1
    http_status = 422


@dataclass(frozen=True)
class Arrears:
    """What a letter states about the debt, as of ``as_of``."""
    owner: str
    room: str
    period: str
    amount_due: Decimal
    arrears: Decimal            # the balance still owed (after any partial payments)
    paid: Decimal
    due_date: date
    late_fee_rate: Decimal      # per day
    as_of: date
    days_overdue: int
    late_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.arrears + self.late_fee

    @property
    def period_fee(self) -> str:
        """What the letter says is owed: "2026年1月–12月的物业服务费", but a period that already names
        the fee ("2026年度物业服务费") is not doubled into "…物业服务费的物业服务费"."""
        return self.period if self.period.rstrip().endswith("费") else f"{self.period}的物业服务费"


def money(value: object, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise LetterFailed(f"{what} 不是金额 (not an amount): {value!r}") from None
    if not amount.is_finite():
        raise LetterFailed(f"{what} 不是金额 (not an amount): {value!r}")
    return amount.quantize(FEN, ROUND_HALF_UP)


def late_fee(arrears: Decimal, rate: Decimal, due_date: date, as_of: date) -> tuple[int, Decimal]:
    """(days overdue, late fee): the due date itself is not overdue; nothing is owed on nothing."""
    days = max((as_of - due_date).days, 0)
    if arrears <= 0:
        return days, Decimal("0.00")
    return days, (arrears * rate * days).quantize(FEN, ROUND_HALF_UP)


def paid_late_fee(payments: object, rate: Decimal, due_date: date) -> Decimal:
    """The late fee on the amounts already paid: each for the days it was owed past the due date
    (``payments``: the process's ``[[amount, "YYYY-MM-DD"], …]``); a payment before the due date owes none."""
    if not isinstance(payments, list):
        return Decimal("0.00")
    fee = Decimal("0")
    for entry in payments:
        try:
            amount, paid_on = money(entry[0], "payments"), date.fromisoformat(str(entry[1])[:10])
        except (TypeError, IndexError, ValueError):
            raise LetterFailed(f"payments 的记录无效 (a payment record is not [amount, date]): {entry!r}") from None
        fee += amount * rate * max((paid_on - due_date).days, 0)
    return fee.quantize(FEN, ROUND_HALF_UP)


def arrears_of(data: Mapping[str, object], as_of: date) -> Arrears:
    """The debt as the instance's data states it (``balance`` is the process variable lowered by
    each payment; before any payment it equals ``amount_due``)."""
    missing = [k for k in ("owner", "room", "period", "amount_due", "due_date") if data.get(k) in (None, "")]
    if missing:
        raise LetterFailed(f"催缴函缺少数据 (the letter needs): {', '.join(missing)}")
    try:
        due = date.fromisoformat(str(data["due_date"])[:10])
    except ValueError:
        raise LetterFailed(f"due_date 不是日期 (not a date): {data['due_date']!r}") from None
    amount_due = money(data["amount_due"], "amount_due")
    arrears = money(data["balance"], "balance") if data.get("balance") is not None else amount_due
    rate_raw = data.get("late_fee_rate")
    try:
        rate = DEFAULT_LATE_FEE_RATE if rate_raw in (None, "") else Decimal(str(rate_raw))
    except InvalidOperation:
        raise LetterFailed(f"late_fee_rate 不是数字 (not a number): {rate_raw!r}") from None
    days, fee = late_fee(arrears, rate, due, as_of)
    # each amount owes for the days it was actually owed: what is still owed up to today (above), what
    # was paid late up to the day it was paid (instances from before payments were recorded with
    # their dates have no ``payments``: only the balance is charged)
    fee += paid_late_fee(data.get("payments"), rate, due)
    return Arrears(owner=str(data["owner"]), room=str(data["room"]), period=str(data["period"]),
                   amount_due=amount_due, arrears=arrears, paid=max(amount_due - arrears, Decimal("0.00")),
                   due_date=due, late_fee_rate=rate, as_of=as_of, days_overdue=days, late_fee=fee)


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _rate(rate: Decimal) -> str:
    """0.0003 → 万分之三 (0.03%)."""
    pct = (rate * 100).normalize()
    per_10k = rate * 10000
    if per_10k == per_10k.to_integral_value() and 0 < per_10k < 10:
        return f"万分之{'零一二三四五六七八九'[int(per_10k)]}（{pct:f}%）"
    return f"{pct:f}%"


_env.filters.update(cn_date=_cn_date, yuan=_yuan, rate=_rate)


def render(kind: str, debt: Arrears, *, number: str, issued_on: date, data: Mapping[str, object],
           company: Mapping[str, str] | None = None) -> str:
    """The printable HTML of one letter; ``data`` supplies optional extras (law firm, lawyer,
    the sender's name); ``company`` the letterhead (engine/usecases/letterhead.py): name, address,
    phone, payment channels, each printed when set, and the seal area."""
    spec = KINDS.get(kind)
    if spec is None:
        raise LetterFailed(f"未知的函件类型 (unknown letter kind) {kind!r}; known: {', '.join(KINDS)}")
    try:
        return _env.get_template(f"{kind}.html").render(
            letter=spec, debt=debt, number=number, issued_on=issued_on,
            reply_by=issued_on + timedelta(days=spec.reply_days),
            sender=str(data.get("sender") or (company or {}).get("name") or "物业服务中心"),
            company={"name": "", "address": "", "phone": "", "payment_channels": "", **(company or {})},
            law_firm=str(data.get("law_firm") or ""), lawyer=str(data.get("lawyer") or ""))
    except TemplateError as e:
        raise LetterFailed(f"函件模板出错 (the letter template failed): {e}") from e


def digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def is_intact(letter: Letter) -> bool:
    """Whether the stored HTML is still what was issued (its hash as stored, which the
    ``letter_issued`` event also carries)."""
    return digest(letter.html) == letter.sha256


class LetterJson(TypedDict):
    id: int
    instance: int
    task: str | None
    kind: str
    title: str
    number: str
    issued_at: str
    issued_by: str
    sha256: str
    intact: bool
    html: NotRequired[str]


def letter_json(letter: Letter, *, with_html: bool = False) -> LetterJson:
    out: LetterJson = {"id": letter.id, "instance": letter.instance_id, "task": letter.task_id, "kind": letter.kind,
           "title": KINDS[letter.kind].title if letter.kind in KINDS else letter.kind,
           "number": letter.number, "issued_at": to_iso(letter.issued_at), "issued_by": letter.issued_by,
           "sha256": letter.sha256, "intact": is_intact(letter)}
    if with_html:
        out["html"] = letter.html
    return out
