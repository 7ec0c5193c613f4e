"""The `wuye` command line: the contract of design.md (names, flags, JSON on stdout, exit codes:
2 bad input, 3 not permitted, 4 not found, 5 conflict; one line on stderr, never a traceback for a
user's mistake). Each command parses its arguments, calls one engine use case, prints JSON."""
from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.clock import FixedClock, SystemClock, parse_instant
from engine.errors import BadInput, Conflict, WuyeError
from engine.rules.permissions import SYSTEM
from engine.usecases.runner import actor_for
from engine.usecases import audit, deploy, init, instances, messages, start_instance, tasks, timers, users
from storage.uow import ConcurrentUpdate, Database


def _row_id(text: str) -> int:
    """An instance id as argparse reads it: a usage error (exit 2), not a driver overflow, past BIGINT."""
    if not (text.isascii() and text.isdigit()) or int(text) > 2**63 - 1:
        raise argparse.ArgumentTypeError(f"not an instance id: {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--now", default=argparse.SUPPRESS, metavar="ISO8601",
                        help="the clock's time for this command (simulation, tests)")
    p = argparse.ArgumentParser(prog="wuye", parents=[common], description="物业流程 — BPMN workflows for 物业客服部")
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name, help_, **kw):
        return sub.add_parser(name, parents=[common], help=help_, **kw)

    def as_user(sp, required=True):
        sp.add_argument("--as", dest="as_user", required=required, metavar="USER")

    def data(sp):
        sp.add_argument("--data", default=None, metavar="JSON")

    sp = cmd("init", "create or upgrade the schema and deploy processes/")
    sp.add_argument("--demo", action="store_true", help="one user per group (password = name) and `demo`")
    sp = cmd("user", "manage users")
    usub = sp.add_subparsers(dest="user_command", required=True)
    ua = usub.add_parser("add", parents=[common], help="create a user (password from stdin, else random)")
    ua.add_argument("name")
    ua.add_argument("--groups", required=True, metavar="G1,G2")
    ua.add_argument("--display-name", default="")
    sp = cmd("deploy", "validate and deploy BPMN/DMN files")
    sp.add_argument("files", nargs="+", metavar="FILE")
    as_user(sp, required=False)
    sp = cmd("start", "start an instance of the latest version")
    sp.add_argument("process_id")
    as_user(sp); data(sp)
    sp = cmd("tasks", "ready tasks this user may complete")
    as_user(sp)
    sp.add_argument("--instance", type=_row_id)
    sp.add_argument("--all", action="store_true", help="every group's tasks (supervisors)")
    sp.add_argument("--process")
    sp.add_argument("--overdue", action="store_true")
    sp.add_argument("--room")
    for name in ("claim", "unclaim"):
        sp = cmd(name, f"{name} a group task")
        sp.add_argument("task_id")
        as_user(sp)
    sp = cmd("assign", "a supervisor assigns a task to a user")
    sp.add_argument("task_id")
    sp.add_argument("--to", required=True, metavar="USER")
    as_user(sp)
    sp = cmd("complete", "validate form data and complete a task")
    sp.add_argument("task_id")
    as_user(sp); data(sp)
    sp = cmd("message", "deliver a BPMN message to a waiting instance")
    sp.add_argument("name")
    sp.add_argument("--instance", type=_row_id, required=True)
    as_user(sp); data(sp)
    cmd("timers", "fire every timer due at the clock's time, once")
    for name in ("show", "history"):
        sp = cmd(name, f"{name} an instance")
        sp.add_argument("instance", type=_row_id)
        as_user(sp, required=False)
    sp = cmd("audit", "audit the event log")
    asub = sp.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", parents=[common], help="check the hash chain; names the first broken event")
    sp = cmd("serve", "the web app with the timer loop")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=5000)
    cmd("worker", "the timer loop alone")
    return p


def _json_arg(text: str | None, flag: str = "--data"):
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{flag}: 不是有效的 JSON (invalid JSON: {e.msg} at line {e.lineno} column {e.colno})") from None


def _clock(args):
    if getattr(args, "now", None) is None:
        return SystemClock()
    try:
        return FixedClock(parse_instant(args.now))
    except ValueError as e:
        raise BadInput(f"--now: {e}") from None


def run(args, db: Database, clock) -> object:
    c = args.command
    if c == "init":
        return init.initialize(db, clock=clock, demo=args.demo)
    if c == "timers":
        return timers.fire_due_timers(db, clock=clock)
    if c == "serve" or c == "worker":
        from cli.serve import serve, worker   # the web layer is loaded only for these two
        return serve(db, args.host, args.port, clock=clock) if c == "serve" else worker(db, clock=clock)
    readonly = c in ("tasks", "show", "history", "audit")
    with db.uow(readonly=readonly) as uow:
        actor = actor_for(uow, args.as_user) if getattr(args, "as_user", None) else SYSTEM
        if c == "user":
            password = _stdin_password()
            result = users.add_user(uow, actor=actor, clock=clock, name=args.name, password=password,
                                    groups=[g.strip() for g in args.groups.split(",") if g.strip()],
                                    display_name=args.display_name)
        elif c == "deploy":
            result = deploy.deploy(uow, actor=actor, clock=clock, files=[_read(f) for f in args.files])
        elif c == "start":
            result = start_instance.start_instance(uow, actor=actor, clock=clock, process_id=args.process_id,
                                                   data=_json_arg(args.data))
        elif c == "tasks":
            return tasks.list_tasks(uow, actor=actor, clock=clock, instance_id=args.instance, every_group=args.all,
                                    process_id=args.process, overdue=args.overdue, room=args.room)
        elif c in ("claim", "unclaim"):
            fn = tasks.claim_task if c == "claim" else tasks.unclaim_task
            result = fn(uow, actor=actor, clock=clock, task_id=args.task_id)
        elif c == "assign":
            result = tasks.assign_task(uow, actor=actor, clock=clock, task_id=args.task_id, assignee=args.to)
        elif c == "complete":
            result = tasks.complete_task(uow, actor=actor, clock=clock, task_id=args.task_id,
                                         data=_json_arg(args.data))
        elif c == "message":
            result = messages.deliver_message(uow, actor=actor, clock=clock, instance_id=args.instance,
                                              name=args.name, data=_json_arg(args.data))
        elif c == "show":
            return instances.show_instance(uow, actor=actor, clock=clock, instance_id=args.instance)
        elif c == "history":
            return instances.history(uow, actor=actor, clock=clock, instance_id=args.instance)
        elif c == "audit":
            return audit.verify_audit(uow, actor=actor, clock=clock)
        else:  # pragma: no cover - argparse refuses unknown commands
            raise BadInput(f"unknown command {c}")
        uow.commit()
        return result


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


def _stdin_password() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    return line or None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    db = None
    try:
        clock = _clock(args)
        db = Database()
        result = run(args, db, clock)
    except WuyeError as e:
        print(f"wuye: {e.message}{_field_details(e.fields)}", file=sys.stderr)
        return e.exit_code
    except ConcurrentUpdate:
        print("wuye: 数据已被他人修改，请刷新后重试 (someone else changed it first: reload and try again)",
              file=sys.stderr)
        return Conflict.exit_code
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
    if isinstance(result, dict) and result.get("ok") is False:
        broken = result.get("first_broken") or {}
        print(f"wuye: 审计链已损坏，第一个异常事件 seq {broken.get('seq')} (the hash chain is broken at event "
              f"{broken.get('seq')}: {broken.get('reason')})", file=sys.stderr)
        return 1
    return 0


def _field_details(fields: dict) -> str:
    """Per-field reasons on the same line (the contract: one line on stderr), e.g.
    ``: content: 至少 2 个字 (At least 2 characters)``."""
    parts = []
    for name, info in (fields or {}).items():
        info = info if isinstance(info, dict) else {}
        text = info.get("message") or info.get("key") or ""
        parts.append(f"{name}: {text}" + (f" ({info['en']})" if info.get("en") else ""))
    return ("; " + "; ".join(parts)) if parts else ""
