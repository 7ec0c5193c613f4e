"""The `wuye` command line: the contract of design.md (names, flags, JSON on stdout, exit codes:
2 bad input, 3 not permitted, 4 not found, 5 conflict; one line on stderr, never a traceback for a
user's mistake). Each command is a row of COMMANDS: the use case it runs through the runner and
its arguments read from the command line; the result is printed as JSON."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from cli.parser import build_parser
from cli.rule_files import problem_lines, rule_file
from engine import inputs
from engine.clock import Clock, FixedClock, SystemClock
from engine.errors import BadInput, FieldError, WuyeError
from engine.rules.permissions import SYSTEM
from engine.usecases import (
    audit,
    builtin_topics,
    calendar,
    checkpoints,
    definitions,
    deploy,
    duty,
    evidence,
    external_tasks,
    init,
    instances,
    messages,
    migrate,
    replay,
    reports,
    rule_tables,
    seals,
    start_instance,
    tasks,
    timers,
    users,
)
from engine.usecases.runner import Database, connect, handle


# Any: a JSON value as typed on the command line; the use case validates it.
def _json_arg(text: str | None, flag: str = "--data") -> Any:
    """JSON typed on the command line, checked at its limits (engine/inputs.py): a 5,000-digit
    number or a lone surrogate is exit 2 naming the flag and the field, never a traceback."""
    return None if text is None else inputs.load_json(text, flag)


def _clock(args: argparse.Namespace) -> Clock:
    if getattr(args, "now", None) is None:
        return SystemClock()
    return FixedClock(inputs.instant(args.now, "--now"))


def _check_arguments(argv: list[str]) -> None:
    """Every argument is text wuye can store and hash: bytes that are not UTF-8 (read by Python as
    lone surrogates) or a NUL are exit 2 naming the argument."""
    for i, arg in enumerate(argv):
        try:
            inputs.check_text(arg, f"argument {i + 1}")
        except inputs.Refused as e:
            raise e.bad_input() from None


@dataclass(frozen=True)
class Command:
    """One `wuye` command: the use case it runs and its arguments read from the command line.
    ``actor``: "user" runs it as ``--as USER`` (the system when that is optional and absent);
    "none" for the use cases that take no actor (the schema and the timer sweep)."""
    use_case: Callable[..., Any]
    args: Callable[[argparse.Namespace], dict[str, Any]] = field(default=lambda a: {})
    actor: str = "user"
    output: Callable[[argparse.Namespace, Any], Any] = field(default=lambda a, result: result)


def _typed(data: Any) -> Any:
    """Plain JSON values as Camunda's typed variables (what the resolve use case takes)."""
    return {k: {"value": v} for k, v in data.items()} if isinstance(data, dict) else data


def _groups(text: str) -> list[str]:
    return [g.strip() for g in text.split(",") if g.strip()]


COMMANDS: dict[str, Command] = {
    "init": Command(init.initialize, lambda a: {"demo": a.demo, "simulation": a.simulation}, actor="none"),
    "user add": Command(users.add_user, lambda a: {"name": a.name, "groups": _groups(a.groups),
                                                    "password": _stdin_password(), "display_name": a.display_name}),
    "user passwd": Command(users.change_password, lambda a: {"name": a.name, "password": _stdin_password()}),
    "user disable": Command(users.disable_user, lambda a: {"name": a.name}),
    "user topics": Command(external_tasks.grant_topics, lambda a: {"name": a.name, "topics": _groups(a.topics)}),
    "incident list": Command(external_tasks.list_incidents),
    "incident retry": Command(external_tasks.set_retries, lambda a: {"task_id": a.task_id, "retries": a.retries}),
    "incident resolve": Command(external_tasks.resolve_incident,
                                lambda a: {"task_id": a.task_id, "variables": _typed(_json_arg(a.data))}),
    "deploy": Command(deploy.deploy, lambda a: {"files": [_read(f) for f in a.files]}),
    "versions": Command(definitions.process_versions, lambda a: {"process_id": a.process_id}),
    "diff": Command(definitions.version_diff, lambda a: {"process_id": a.process_id, "from_version": a.from_version,
                                                         "to_version": a.to_version}),
    "migrate": Command(migrate.migrate_instance, lambda a: {"instance_id": a.instance, "to_version": a.to_version}),
    "start": Command(start_instance.start_instance, lambda a: {"process_id": a.process_id, "data": _json_arg(a.data)}),
    "tasks": Command(tasks.list_tasks, lambda a: {"instance_id": a.instance, "every_group": a.all,
                                                  "process_id": a.process, "overdue": a.overdue, "room": a.room,
                                                  "unassigned": a.unassigned}),
    "claim": Command(tasks.claim_task, lambda a: {"task_id": a.task_id}),
    "unclaim": Command(tasks.unclaim_task, lambda a: {"task_id": a.task_id}),
    "assign": Command(tasks.assign_task, lambda a: {"task_id": a.task_id, "assignee": a.to}),
    "complete": Command(tasks.complete_task, lambda a: {"task_id": a.task_id, "data": _json_arg(a.data)}),
    "message": Command(messages.deliver_message, lambda a: {"instance_id": a.instance, "name": a.name,
                                                            "data": _json_arg(a.data)}),
    "message correlate": Command(messages.correlate_message, lambda a: {"name": a.name, "data": _json_arg(a.data)}),
    "signal": Command(messages.broadcast_signal, lambda a: {"name": a.name, "data": _json_arg(a.data)}),
    "timers": Command(timers.fire_due_timers, actor="none"),
    "messages": Command(builtin_topics.serve_builtin_topics, actor="none"),
    "show": Command(instances.show_instance, lambda a: {"instance_id": a.instance}),
    "history": Command(instances.history, lambda a: {"instance_id": a.instance}),
    "audit verify": Command(audit.verify_audit, lambda a: {"deep": a.deep}),
    "audit seal": Command(seals.seal_chain),
    "audit verify --against": Command(checkpoints.verify_against, lambda a: {
        "note": _text(a.against), "verifier": _text(a.key).strip() if a.key else None}),
    "audit checkpoint": Command(checkpoints.make_checkpoint, lambda a: {"holder": a.holder},
                                output=lambda a, result: _write(a.out, result)),
    "audit prove": Command(checkpoints.inclusion_proof, lambda a: {"seq": a.seq, "size": a.size}),
    "replay": Command(replay.replay_instance, lambda a: {"instance_id": _one_instance(a)}),
    "replay --all": Command(replay.replay_all),
    "evidence": Command(evidence.evidence_pdf, lambda a: {"instance_id": a.instance},
                        output=lambda a, pdf: _write_pdf(a, pdf)),
    "calendar import": Command(calendar.import_calendar, lambda a: {"text": _text(a.file), "source": a.source,
                                                                      "comment": a.comment}),
    "calendar show": Command(calendar.show_calendar, lambda a: {"year": a.year}),
    "calendar check": Command(calendar.calendar_check),
    "rules list": Command(rule_tables.list_rule_tables),
    "rules show": Command(rule_tables.show_rule_table, lambda a: {"table": a.table, "version": a.version}),
    "rules deploy": Command(rule_tables.deploy_rule_table, lambda a: _rule_deploy(a)),
    "duty show": Command(duty.duty_table, lambda a: {"since": a.since}),
    "duty lead": Command(duty.set_group_lead, lambda a: {"group": a.group, "head": a.head, "supervisor": a.supervisor}),
    "duty shift": Command(duty.add_duty_shift, lambda a: {"group": a.group, "user": a.user, "starts_at": a.starts_at,
                                                         "ends_at": a.ends_at}),
    "duty unshift": Command(duty.remove_duty_shift, lambda a: {"shift_id": a.shift_id}),
    "report kpi": Command(reports.kpis, lambda a: {"month": a.month}),
    "report violations": Command(reports.violations_report, lambda a: {"month": a.month}),
}


def run(args: argparse.Namespace, db: Database, clock: Clock) -> object:
    """The command's use case through the runner, or (serve, worker) the long-running processes."""
    if args.command in ("serve", "worker"):
        from cli.serve import serve, worker  # the web layer is loaded only for these two
        if args.command == "serve":
            serve(db, args.host, args.port, clock=clock)
        else:
            worker(db, clock=clock)
        return None
    if getattr(args, "now", None) is not None:
        _refuse_a_past_clock(args, db, clock)
    sub = "correlate" if args.command == "message" and args.instance is None else getattr(args, "sub", None)
    name = " ".join(filter(None, (args.command, sub)))
    if getattr(args, "against", None):
        name += " --against"
    if args.command == "replay" and args.all:
        name += " --all"
    command = COMMANDS[name]
    actor = (getattr(args, "as_user", None) or SYSTEM) if command.actor == "user" else None
    return command.output(args, handle(db, command.use_case, actor=actor, clock=clock, **command.args(args)))


MAX_FILE_BYTES = 5 * 1024 * 1024   # the largest procedure is ~200 KB; the web upload limit is 2 MiB


def _read(path: str) -> tuple[str, bytes]:
    from pathlib import Path
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"{path}: 文件不存在 (no such file)")
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(f"{path}: 文件过大 (larger than {MAX_FILE_BYTES // 1024 // 1024} MiB)")
        return p.name, p.read_bytes()
    except OSError as e:
        raise BadInput(f"{path}: 无法读取 (cannot read: {e.strerror})") from None


def _rule_deploy(args: argparse.Namespace) -> dict[str, Any]:
    settings, rows = rule_file(args.table, args.file, _text(args.file))
    return {"table": args.table, "rows": rows, "comment": args.comment, "settings": settings}


def _one_instance(args: argparse.Namespace) -> int:
    if args.instance is None:
        raise BadInput("replay: 请给出实例编号，或用 --all (give an instance id, or --all)")
    return int(args.instance)


def _refuse_a_past_clock(args: argparse.Namespace, db: Database, clock: Clock) -> None:
    """``--now`` earlier than the real clock only on a simulation database (or when making one)."""
    now, today = clock.now(), SystemClock().now()
    if now >= today or (args.command == "init" and args.simulation):
        return
    try:
        simulation = handle(db, init.is_simulation, actor=None, clock=clock)
    except (OperationalError, ProgrammingError):
        simulation = False          # no schema yet: a new database, not made a simulation
    init.refuse_a_past_clock(now, today, simulation)


def _text(path: str) -> str:
    _, content = _read(path)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: 不是 UTF-8 文本 (not UTF-8 text)") from None


def _write_pdf(args: argparse.Namespace, pdf: bytes) -> dict[str, Any]:
    """An evidence pack into ``--out``, and how a stranger checks it."""
    try:
        with open(args.out, "wb") as out:
            out.write(pdf)
    except OSError as e:
        raise BadInput(f"--out {args.out}: 无法写入 (cannot write: {e.strerror})") from None
    return {"instance": args.instance, "out": args.out, "bytes": len(pdf),
            "check": f"python3 -m engine.audit.offline {args.out} --key wuye-audit.key.pub"}


def _write(path: str, result: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's note into ``path`` (the command prints the rest)."""
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(result["note"])
    except OSError as e:
        raise BadInput(f"--out {path}: 无法写入 (cannot write: {e.strerror})") from None
    return {**result, "out": path}


def _stdin_password() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    return line or None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        _check_arguments(argv)
    except WuyeError as e:
        print(f"wuye: {e.message}", file=sys.stderr)
        return e.exit_code
    args = build_parser().parse_args(argv)
    db = None
    try:
        clock = _clock(args)
        db = connect()
        result = run(args, db, clock)
    except WuyeError as e:
        rows = ""
        if isinstance(e, rule_tables.RuleTableRefused):    # every row's problems, for scripts too
            print(json.dumps({"error": e.message, "problems": [p.to_json() for p in e.problems]},
                             ensure_ascii=False, indent=2))
            rows = problem_lines(e.problems)
        print(f"wuye: {e.message}{_field_details(e.fields)}{rows}", file=sys.stderr)
        return e.exit_code
    except (OperationalError, ProgrammingError) as e:
        text = str(e.orig) if getattr(e, "orig", None) else str(e)
        if "no such table" in text or "does not exist" in text:
            print("wuye: 数据库尚未初始化，请先运行 `wuye init` (the database has no schema: run `wuye init`)",
                  file=sys.stderr)
            return 1
        print(f"wuye: 数据库错误 (database error): {text.splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        if db is not None:
            db.dispose()
    if result is not None:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    if isinstance(result, dict) and result.get("matches") is False:
        print(f"wuye: 重放与记录不符 (the replay does not match the record): {_divergence(result)}", file=sys.stderr)
        return 1
    if isinstance(result, dict) and result.get("ok") is False and "first_uncovered" in result:
        print(f"wuye: 工作日历缺少 {result['first_uncovered']} 起的官方数据，请录入国务院放假通知 "
              f"(no official calendar data from {result['first_uncovered']}, within the next {result['days']} days)",
              file=sys.stderr)
        return 1
    if isinstance(result, dict) and result.get("ok") is False and "diverged" in result:
        print(f"wuye: {len(result['diverged'])} 个实例重放与记录不符 (instances whose replay does not match: "
              f"{', '.join(str(d['instance']) for d in result['diverged'][:20])})", file=sys.stderr)
        return 1
    if isinstance(result, dict) and result.get("ok") is False:
        parted = result.get("parted")
        if parted:
            print(f"wuye: 检查点与今天的日志不符 (the checkpoint is not a prefix of the log): {parted['reason']}",
                  file=sys.stderr)
            return 1
        broken = result.get("first_broken") or {}
        print(f"wuye: 审计链已损坏，第一个异常事件 seq {broken.get('seq')} (the audit log is broken at event "
              f"{broken.get('seq')}: {broken.get('reason')})", file=sys.stderr)
        return 1
    return 0


def _divergence(result: dict[str, Any]) -> str:
    first = result.get("first_divergence")
    if first:
        return f"event seq {first.get('seq')}: expected {first.get('expected')}, got {first.get('actual')}"
    return f"the final state: expected {result['final']['expected']}, got {result['final']['actual']}"


def _field_details(fields: dict[str, FieldError]) -> str:
    """Per-field reasons on the same line (the contract: one line on stderr), e.g.
    ``: content: 至少 2 个字 (At least 2 characters)``."""
    parts = []
    for name, info in (fields or {}).items():
        info = info if isinstance(info, dict) else {}
        text = info.get("message") or info.get("key") or ""
        parts.append(f"{name}: {text}" + (f" ({info['en']})" if info.get("en") else ""))
    return ("; " + "; ".join(parts)) if parts else ""
