"""Task forms from ``camunda:formData``: the field model, and validation/conversion of what a person
submits. SpiffWorkflow hands over every value as a string; nothing reaches the workflow until it has
been converted to its declared type and checked against its constraints here."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NotRequired, TypedDict

from engine import inputs
from engine.clock import SHANGHAI, parse_instant, to_iso
from engine.errors import BadInput, FieldError

FIELD_TYPES = ("string", "long", "double", "boolean", "date", "enum")
CONSTRAINTS = ("required", "readonly", "minlength", "maxlength", "min", "max", "confirmed")

# A field's value once converted (a date is kept as its ISO text); None is "not given".
FieldValue = str | int | float | bool | None

# message key -> (Chinese, English); {0} is the constraint's value
MESSAGES: dict[str, tuple[str, str]] = {
    "form.required": ("此项为必填项", "This field is required"),
    "form.unknown": ("表单中没有此项", "This form has no such field"),
    "form.readonly": ("此项为只读，不能修改", "This field is read-only"),
    "form.string": ("请输入文字", "Enter text"),
    "form.long": ("请输入整数", "Enter a whole number"),
    "form.double": ("请输入数字", "Enter a number"),
    "form.boolean": ("请选择是或否", "Choose yes or no"),
    "form.date": ("请输入有效的日期或时间（如 2026-11-23 或 2026-11-23T09:30）", "Enter a valid date or time"),
    "form.enum": ("请从列表中选择", "Choose one of the listed options"),
    "form.minlength": ("至少 {0} 个字", "At least {0} characters"),
    "form.maxlength": ("最多 {0} 个字", "At most {0} characters"),
    "form.min": ("不能小于 {0}", "Must be at least {0}"),
    "form.max": ("不能大于 {0}", "Must be at most {0}"),
    "form.past": ("约定时间不能早于现在（{0}），请填写之后的时间", "Must not be in the past ({0})"),
    "form.future": ("不能晚于今天（{0}）：这是已经发生的日期", "Must not be in the future ({0})"),
    "form.confirmed": ("须确认（选“是”）后才能提交", "Must be confirmed (yes) to submit"),
    "form.before": ("不能早于本案的{0}", "Must not be before the case's {0}"),
    "form.below": ("不能少于{0}", "Must not be less than {0}"),
    "form.required_if": ("{0}时此项为必填（须确认）", "Required (to be confirmed) when {0}"),
    "form.data": ("提交的数据必须是一个对象", "The submitted data must be an object"),
    **inputs.MESSAGES,      # NUL, lone surrogates, too many digits: refused before any field converts
}

_TRUE = {"true", "1", "yes", "on", "是", "y"}
_FALSE = {"false", "0", "no", "off", "否", "n", ""}
_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def field_error(key: str, arg: object = None) -> FieldError:
    zh, en = MESSAGES[key]
    return {"key": key, "message": zh.format(arg), "en": en.format(arg)}


class FieldInvalid(ValueError):
    def __init__(self, key: str, arg: object = None) -> None:
        super().__init__(key)
        self.key, self.arg = key, arg


class OptionJson(TypedDict):
    id: str
    name: str


class FieldJson(TypedDict):
    """A form field as deploy stores it in the definition's meta (``FormField.to_json``)."""
    id: str
    type: str
    label: str
    required: bool
    readonly: bool
    default: FieldValue
    options: NotRequired[list[OptionJson]]       # enum fields only
    minlength: NotRequired[int]
    maxlength: NotRequired[int]
    min: NotRequired[float]
    max: NotRequired[float]
    not_past: NotRequired[bool]                  # date fields with `min` = `now`: an appointment
    not_future: NotRequired[bool]                # date fields with `max` = `now`: a day that has happened
    after: NotRequired[str]                      # date fields with `min` = a variable: not before the case's time
    confirmed: NotRequired[bool]                 # boolean fields that must be 是 (the archive confirmed)
    required_if: NotRequired[str]                # `required` = another field: required when that one is true
    properties: NotRequired[dict[str, str | None]]


class DataLabel(TypedDict):
    """What a person reads instead of a variable's id (see ``data_labels``)."""
    label: str
    type: str | None
    options: dict[str, str]       # option id -> name


@dataclass(frozen=True)
class Option:
    id: str
    name: str


@dataclass(frozen=True)
class FormField:
    id: str
    type: str
    label: str
    required: bool = False
    readonly: bool = False
    default: FieldValue = None
    options: tuple[Option, ...] = ()
    minlength: int | None = None
    maxlength: int | None = None
    min: float | None = None
    max: float | None = None
    not_past: bool = False      # a date field constrained `min` = `now`: an appointment, never in the past
    not_future: bool = False    # a date field constrained `max` = `now`: a handover date, never ahead
    after: str | None = None    # a date field constrained `min` = a variable (received_at): not before it
    confirmed: bool = False     # a boolean that must be true to submit (a step's check, not just a record)
    required_if: str | None = None  # `required` = another field's id: required (a boolean: true) when that is true
    properties: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> FieldJson:
        out: FieldJson = {"id": self.id, "type": self.type, "label": self.label, "required": self.required,
                          "readonly": self.readonly, "default": self.default}
        if self.type == "enum":
            out["options"] = [{"id": o.id, "name": o.name} for o in self.options]
        if self.minlength is not None:
            out["minlength"] = self.minlength
        if self.maxlength is not None:
            out["maxlength"] = self.maxlength
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.not_past:
            out["not_past"] = True
        if self.not_future:
            out["not_future"] = True
        if self.after:
            out["after"] = self.after
        if self.confirmed:
            out["confirmed"] = True
        if self.required_if:
            out["required_if"] = self.required_if
        if self.properties:
            out["properties"] = dict(self.properties)
        return out

    @classmethod
    def from_json(cls, d: FieldJson) -> FormField:
        return cls(id=d["id"], type=d["type"], label=d.get("label") or d["id"],
                   required=d.get("required", False), readonly=d.get("readonly", False),
                   default=d.get("default"), options=tuple(Option(o["id"], o["name"]) for o in d.get("options", ())),
                   minlength=d.get("minlength"), maxlength=d.get("maxlength"), min=d.get("min"), max=d.get("max"),
                   not_past=d.get("not_past", False), not_future=d.get("not_future", False), after=d.get("after"),
                   confirmed=d.get("confirmed", False), required_if=d.get("required_if"),
                   properties=d.get("properties") or {})

    def convert(self, value: object) -> FieldValue:
        """One submitted value -> its typed value, or FieldInvalid. None/'' means 'not given'."""
        if value is None or (isinstance(value, str) and value.strip() == "" and self.type != "string"):
            return None
        if isinstance(value, str) and value.strip() == "":
            return ""              # an empty text: `required` judges it, not minlength
        converted = _CONVERTERS[self.type](self, value)
        self._check_bounds(converted)
        return converted

    def _check_bounds(self, value: FieldValue) -> None:
        if value is None:
            return
        if self.type == "string" and isinstance(value, str):     # a string field's value is always a str
            if self.minlength is not None and len(value) < self.minlength:
                raise FieldInvalid("form.minlength", self.minlength)
            if self.maxlength is not None and len(value) > self.maxlength:
                raise FieldInvalid("form.maxlength", self.maxlength)
        if self.type in ("long", "double") and isinstance(value, (int, float)):     # and a number's a number
            if self.min is not None and value < self.min:
                raise FieldInvalid("form.min", _num(self.min))
            if self.max is not None and value > self.max:
                raise FieldInvalid("form.max", _num(self.max))


def _num(x: float) -> float:
    return int(x) if float(x).is_integer() else x


def _to_string(f: FormField, v: object) -> str:
    """Text, or a number sent for it (an integration's phone number); JSON ``true`` is not text."""
    if isinstance(v, (dict, list, bool)):
        raise FieldInvalid("form.string")
    return str(v)


_LONG_MAX = 2**63 - 1


def _to_long(f: FormField, v: object) -> int:
    """A whole number: a JSON integer, or ASCII digits as a 客服 types them (not Arabic-Indic or full-width digits)."""
    if isinstance(v, bool):
        raise FieldInvalid("form.long")
    n: int | None = None
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer():
        n = int(v)
    elif isinstance(v, str):
        n = inputs.ascii_integer(v)
    if n is None or not -_LONG_MAX <= n <= _LONG_MAX:
        raise FieldInvalid("form.long")
    return n


def _to_double(f: FormField, v: object) -> float:
    """A number: JSON's, or ASCII digits typed (``1200.50``); a 401-digit integer is refused, not
    an OverflowError."""
    x: float | None = None
    if isinstance(v, bool):
        raise FieldInvalid("form.double")
    if isinstance(v, int):
        x = float(v) if len(str(abs(v))) <= inputs.MAX_INT_DIGITS else None
    elif isinstance(v, float):
        x = v
    elif isinstance(v, str):
        x = inputs.ascii_decimal(v)
    if x is None or x != x or x in (float("inf"), float("-inf")):
        raise FieldInvalid("form.double")
    return x


def _to_boolean(f: FormField, v: object) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE:
        return True
    if isinstance(v, str) and v.strip().lower() in _FALSE:
        return False
    raise FieldInvalid("form.boolean")


def _to_date(f: FormField, v: object) -> str:
    """A date stays a date ('2026-11-23'); a time becomes ISO 8601 in Shanghai time with offset."""
    if not isinstance(v, str):
        raise FieldInvalid("form.date")
    text = v.strip()
    try:
        if _DATE_ONLY.match(text):
            return inputs.calendar_date(text).isoformat()
        return to_iso(parse_instant(text))
    except ValueError:
        raise FieldInvalid("form.date") from None


def _to_enum(f: FormField, v: object) -> str:
    if isinstance(v, (dict, list, bool)):
        raise FieldInvalid("form.enum")
    text = str(v)
    if text not in {o.id for o in f.options}:
        raise FieldInvalid("form.enum")
    return text


_CONVERTERS: dict[str, Callable[[FormField, object], FieldValue]] = {
    "string": _to_string, "long": _to_long, "double": _to_double, "boolean": _to_boolean, "date": _to_date,
    "enum": _to_enum}


NOW = "now"   # a date field's default that means "the time of submission" (e.g. received_at)


def validate_submission(fields: list[FormField], data: object, current: Mapping[str, object] | None = None,
                        now: datetime | None = None, case: Mapping[str, object] | None = None,
                        ) -> dict[str, FieldValue]:
    """Check and convert a whole submission; raise BadInput naming every bad field at once.

    ``case`` is the instance's data: a date constrained ``min`` = a variable (``finished_at`` not
    before ``received_at``) is checked against it.

    Absent fields take their default; read-only fields keep the value they have (a different one is
    refused); fields the form does not declare are refused."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadInput("提交的数据必须是一个对象 (the data must be a JSON object)",
                       fields={"data": field_error("form.data")})
    current = current or {}
    by_id = {f.id: f for f in fields}
    errors: dict[str, FieldError] = {}
    for key in list(data):
        try:
            inputs.check_value({key: data[key]}, "")
        except inputs.Refused as e:
            errors[inputs.printable(key)] = field_error(e.key)
    if errors:
        raise BadInput(f"表单有误 (invalid form fields: {', '.join(errors)})", fields=errors)
    errors = {k: field_error("form.unknown") for k in data if k not in by_id}
    out: dict[str, FieldValue] = {}
    for f in fields:
        try:
            if f.readonly:
                if f.id in data and f.convert(data[f.id]) != current.get(f.id, f.default):
                    raise FieldInvalid("form.readonly")
                continue
            value = f.convert(data[f.id]) if f.id in data else f.default
            if value == NOW and f.type == "date":
                value = to_iso(now) if now is not None else None
            if f.not_past and isinstance(value, str) and value != NOW and now is not None:
                _not_before(value, now)
            if f.not_future and isinstance(value, str) and value != NOW and now is not None:
                _not_after(value, now)
            if f.confirmed and value is not True:
                raise FieldInvalid("form.confirmed")
            if value is None or (f.type == "string" and value == ""):
                if f.required:
                    raise FieldInvalid("form.required")
                value = None if f.type != "string" else (value or "")
            out[f.id] = value
        except FieldInvalid as e:
            errors[f.id] = field_error(e.key, e.arg)
    known = {**(case or {}), **current, **out}     # what another field's rule reads: this form, then the case
    for f in fields:
        if f.id in errors:
            continue
        try:
            _cross_field(f, out.get(f.id), known, by_id)
        except FieldInvalid as e:
            errors[f.id] = field_error(e.key, e.arg)
    if errors:
        names = "、".join(by_id[k].label if k in by_id else k for k in errors)
        raise BadInput(f"表单有误：{names} (invalid form fields: {', '.join(errors)})", fields=errors)
    return out


def _cross_field(f: FormField, value: object, known: Mapping[str, object], by_id: Mapping[str, FormField]) -> None:
    """A rule naming another field or variable: a time not before the case's (``finished_at`` after
    ``received_at``), a number not below another (the amount received against the fees due), a
    field required (a boolean: confirmed) when another is true (an issue list when issues were found)."""
    if f.after and isinstance(value, str) and f.type == "date":
        _not_before_case(value, f.after, known)
    if f.after and f.type in ("long", "double") and isinstance(value, (int, float)) and not isinstance(value, bool):
        ref = known.get(f.after)
        if isinstance(ref, (int, float)) and not isinstance(ref, bool) and value < ref:
            label = by_id[f.after].label if f.after in by_id else AFTER_LABELS.get(f.after, f.after)
            raise FieldInvalid("form.below", f"{label}（{_num(ref)}）")
    if f.required_if and known.get(f.required_if) is True and (value is None or value == "" or value is False):
        label = by_id[f.required_if].label if f.required_if in by_id else f.required_if
        raise FieldInvalid("form.required_if", f"“{label}”为是")


def _not_before(value: str, now: datetime) -> None:
    """An appointment (a converted date or time) not before this minute: a date alone is its 0:00 in
    Shanghai, as the deadlines read it. A time typed to the minute that is the current minute passes."""
    when = (datetime.combine(date.fromisoformat(value), time(0), SHANGHAI) if _DATE_ONLY.match(value)
            else parse_instant(value))
    if when < now.replace(second=0, microsecond=0):
        raise FieldInvalid("form.past", now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def _not_after(value: str, now: datetime) -> None:
    """A day that has happened (a handover date): a date alone may be today, in Shanghai."""
    today = now.astimezone(SHANGHAI)
    late = (date.fromisoformat(value) > today.date() if _DATE_ONLY.match(value) else parse_instant(value) > now)
    if late:
        raise FieldInvalid("form.future", today.strftime("%Y-%m-%d"))


AFTER_LABELS = {"received_at": "受理时间", "reported_at": "报调度中心时间", "dispatched_at": "派工时间"}


def _not_before_case(value: str, name: str, case: Mapping[str, object]) -> None:
    """A time that happened during the case (finished_at): not before the case's ``name`` time."""
    begun = case.get(name)
    if not isinstance(begun, str) or not begun:
        return
    try:
        start = parse_instant(begun)
    except ValueError:
        return
    when = (datetime.combine(date.fromisoformat(value), time(23, 59, 59), SHANGHAI) if _DATE_ONLY.match(value)
            else parse_instant(value))
    if when < start:
        label = AFTER_LABELS.get(name, name)
        raise FieldInvalid("form.before", f"{label}（{start.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M')}）")


LABEL_PROPERTY = "label:"


def data_labels(forms: Iterable[Iterable[FieldJson]], process_properties: Mapping[str, str | None],
                ) -> dict[str, DataLabel]:
    """variable -> {"label", "type", "options": {option id: name}}: what a person reads instead of a
    variable's id, wherever the instance's data is shown.

    Form fields bring their label, type and option names. A variable that only a script, a decision
    table or a message sets has no form, so the process names it once with a process-level
    ``camunda:property name="label:<variable>"``; that label also wins over a form's, which words
    the field for one task's moment (the same ``result`` is 处理结果 in one task, 解释答复内容 in another)."""
    out: dict[str, DataLabel] = {}
    for form in forms:
        for f in form:
            entry = out.setdefault(f["id"], {"label": f.get("label") or f["id"], "type": f.get("type"), "options": {}})
            entry["options"].update({o["id"]: o["name"] for o in f.get("options", [])})
    for name, value in process_properties.items():
        label = (value or "").strip()
        if name.startswith(LABEL_PROPERTY) and label:
            out.setdefault(name[len(LABEL_PROPERTY):], {"label": label, "type": None, "options": {}})["label"] = label
    return out
