"""The `wuye` command line's arguments: every command, its flags and how each is read (a usage
error is exit 2 before anything runs). ``cli/main.py`` runs what this parses."""
from __future__ import annotations

import argparse
from typing import Any


def _row_id(text: str) -> int:
    """An instance id as argparse reads it: a usage error (exit 2), not a driver overflow, past BIGINT."""
    if not (text.isascii() and text.isdigit()) or int(text) > 2**63 - 1:
        raise argparse.ArgumentTypeError(f"not an instance id: {text!r}")
    return int(text)


def _version(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"not a version number: {text!r}")
    return int(text)


def _version_or_seed(text: str) -> int:
    return 0 if text == "0" else _version(text)


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"not a year: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--now", default=argparse.SUPPRESS, metavar="ISO8601",
                        help="the clock's time for this command (simulation, tests)")
    p = argparse.ArgumentParser(prog="wuye", parents=[common], description="物业流程 — BPMN workflows for 物业客服部")
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, help_: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_, **kw)

    def as_user(sp: argparse.ArgumentParser, required: bool = True) -> None:
        sp.add_argument("--as", dest="as_user", required=required, metavar="USER")

    def data(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", default=None, metavar="JSON")

    sp = cmd("init", "create or upgrade the schema and deploy processes/")
    sp.add_argument("--demo", action="store_true", help="one user per group (password = name) and `demo`")
    sp.add_argument("--simulation", action="store_true",
                    help="a new database for simulation or training: --now may then be in the past")
    sp = cmd("user", "manage users")
    usub = sp.add_subparsers(dest="sub", required=True)
    ua = usub.add_parser("add", parents=[common], help="create a user (password from stdin, else random)")
    ua.add_argument("name")
    ua.add_argument("--groups", required=True, metavar="G1,G2")
    ua.add_argument("--display-name", default="")
    up = usub.add_parser("passwd", parents=[common], help="a new password (from stdin); ends the user's sessions")
    up.add_argument("name")
    as_user(up, required=False)
    ud = usub.add_parser("disable", parents=[common], help="the user may no longer sign in; ends their sessions")
    ud.add_argument("name")
    as_user(ud, required=False)
    ut = usub.add_parser("topics", parents=[common], help="the topics a user of the worker group may fetch")
    ut.add_argument("name")
    ut.add_argument("--topics", required=True, metavar="T1,T2")
    as_user(ut, required=False)
    sp = cmd("incident", "external tasks out of retries (admins)")
    isub = sp.add_subparsers(dest="sub", required=True)
    il = isub.add_parser("list", parents=[common], help="open incidents, oldest first")
    as_user(il, required=False)
    ir = isub.add_parser("retry", parents=[common], help="give the external task retries again")
    ir.add_argument("task_id")
    ir.add_argument("--retries", type=int, default=1)
    as_user(ir, required=False)
    iv = isub.add_parser("resolve", parents=[common], help="complete the external task by hand, with --data")
    iv.add_argument("task_id")
    data(iv)
    as_user(iv, required=False)
    sp = cmd("deploy", "validate and deploy BPMN/DMN files")
    sp.add_argument("files", nargs="+", metavar="FILE")
    as_user(sp, required=False)
    sp = cmd("versions", "every version of a process: who, when, why, hash, running instances")
    sp.add_argument("process_id", metavar="PROCESS")
    as_user(sp)
    sp = cmd("diff", "what changed between two versions of a process")
    sp.add_argument("process_id", metavar="PROCESS")
    sp.add_argument("from_version", type=_version, metavar="V1")
    sp.add_argument("to_version", type=_version, metavar="V2")
    as_user(sp)
    sp = cmd("migrate", "move a waiting instance to another version of its process")
    sp.add_argument("instance", type=_row_id)
    sp.add_argument("--to", dest="to_version", type=_version, required=True, metavar="V")
    as_user(sp)
    sp = cmd("start", "start an instance of the latest version")
    sp.add_argument("process_id")
    as_user(sp)
    data(sp)
    sp = cmd("tasks", "ready tasks this user may complete")
    as_user(sp)
    sp.add_argument("--instance", type=_row_id)
    sp.add_argument("--all", action="store_true", help="every group's tasks (supervisors)")
    sp.add_argument("--unassigned", action="store_true", help="the tasks nobody is named for (supervisors)")
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
    as_user(sp)
    data(sp)
    sp = cmd("message", "deliver a BPMN message to a waiting instance")
    sp.add_argument("name")
    sp.add_argument("--instance", type=_row_id, help="the instance; without it, the message goes to the one "
                    "instance its correlation key (from --data) names")
    as_user(sp)
    data(sp)
    sp = cmd("signal", "broadcast a BPMN signal to every running instance waiting for it")
    sp.add_argument("name")
    as_user(sp)
    data(sp)
    cmd("timers", "fire every timer due at the clock's time, once")
    cmd("messages", "do the built-in topics once: messages instances threw, signals they threw, letters")
    for name in ("show", "history"):
        sp = cmd(name, f"{name} an instance")
        sp.add_argument("instance", type=_row_id)
        as_user(sp, required=False)
    sp = cmd("audit", "audit the event log")
    asub = sp.add_subparsers(dest="sub", required=True)
    av = asub.add_parser("verify", parents=[common], help="check the hash chain; names the first broken event")
    av.add_argument("--against", metavar="FILE", help="and prove that this signed checkpoint is a prefix of the log")
    av.add_argument("--key", metavar="FILE", help="the verifier key that signed it (default: this database's own)")
    av.add_argument("--deep", action="store_true",
                    help="also check every derived row (violations, tasks, instances) against its events")
    asl = asub.add_parser("seal", parents=[common], help="seal the chain head now (the timer loop seals it too)")
    ac = asub.add_parser("checkpoint", parents=[common], help="sign the log's tree head (size, Merkle root) into FILE")
    ac.add_argument("--out", required=True, metavar="FILE")
    ac.add_argument("--holder", help="who is given the checkpoint to keep (recorded)")
    ap = asub.add_parser("prove", parents=[common], help="an inclusion proof of one event (RFC 6962)")
    ap.add_argument("seq", type=_row_id)
    ap.add_argument("--size", type=_row_id, help="of the tree of the first SIZE events (default: the whole log)")
    for audit_parser in (av, ac, ap, asl):
        as_user(audit_parser, required=False)
    sp = cmd("replay", "re-execute an instance from its recorded inputs and compare with the record")
    sp.add_argument("instance", type=_row_id, nargs="?")
    sp.add_argument("--all", action="store_true", help="every instance")
    as_user(sp, required=False)
    sp = cmd("evidence", "the instance's evidence pack (PDF: history, letters, violations, inclusion proofs)")
    sp.add_argument("instance", type=_row_id)
    sp.add_argument("--out", required=True, metavar="FILE")
    as_user(sp, required=False)
    sp = cmd("report", "the KPIs and violations of procedures.md for a month")
    rsub = sp.add_subparsers(dest="sub", required=True)
    for name, help_ in (("kpi", "投诉处理及时率, follow-up rates, 收缴率, violations by deadline"),
                        ("violations", "every violation of the month, per responsible person")):
        rp = rsub.add_parser(name, parents=[common], help=help_)
        rp.add_argument("--month", required=True, metavar="YYYY-MM")
        as_user(rp, required=False)
    sp = cmd("calendar", "the business calendar: the holiday and 调休 table deadlines count with")
    csub = sp.add_subparsers(dest="sub", required=True)
    ci = csub.add_parser("import", parents=[common], help="save a year of the notice from a CSV (date,kind,name)")
    ci.add_argument("file")
    ci.add_argument("--source", default="", help="where the dates come from (e.g. the notice number)")
    ci.add_argument("--comment", default="")
    cs = csub.add_parser("show", parents=[common], help="one year of the calendar, as JSON")
    cs.add_argument("year", type=_year)
    cc = csub.add_parser("check", parents=[common], help="exit 1 unless every day of the next 60 has official data")
    for calendar_parser in (ci, cs, cc):
        as_user(calendar_parser, required=False)
    sp = cmd("rules", "the rule tables (penalties, move-in desks, case library) as versioned data")
    rsub = sp.add_subparsers(dest="sub", required=True)
    rl = rsub.add_parser("list", parents=[common], help="every rule table with its latest version")
    rs = rsub.add_parser("show", parents=[common], help="one version's rows (the latest unless --version)")
    rs.add_argument("table", metavar="TABLE")
    rs.add_argument("--version", type=_version_or_seed, default=None, metavar="V", help="0: the seed file")
    rd = rsub.add_parser("deploy", parents=[common], help="check every row of FILE and deploy it as a new version")
    rd.add_argument("table", metavar="TABLE")
    rd.add_argument("file", metavar="FILE", help="JSON: the seed file's shape, or what `rules show` printed")
    rd.add_argument("--comment", required=True, metavar="C")
    for rules_parser in (rl, rs, rd):
        as_user(rules_parser)
    sp = cmd("duty", "who answers for a group: its head and supervisor, and the duty roster by shift")
    dsub = sp.add_subparsers(dest="sub", required=True)
    ds = dsub.add_parser("show", parents=[common], help="every group's head and supervisor, and the shifts not over")
    ds.add_argument("--since", metavar="ISO8601", help="shifts not over at this time (default: now)")
    dl = dsub.add_parser("lead", parents=[common], help="set a group's head (负责人) and supervisor (主管)")
    dl.add_argument("group")
    dl.add_argument("--head", metavar="USER", default=None)
    dl.add_argument("--supervisor", metavar="USER", default=None)
    da = dsub.add_parser("shift", parents=[common], help="add a shift of the duty roster (当班人员)")
    da.add_argument("group")
    da.add_argument("user")
    da.add_argument("--from", dest="starts_at", required=True, metavar="ISO8601")
    da.add_argument("--until", dest="ends_at", required=True, metavar="ISO8601")
    dr = dsub.add_parser("unshift", parents=[common], help="remove a shift by its id")
    dr.add_argument("shift_id", type=_row_id)
    for duty_parser in (ds, dl, da, dr):
        as_user(duty_parser, required=False)
    sp = cmd("serve", "the web app with the timer loop")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=5000)
    cmd("worker", "the timer loop alone")
    return p
