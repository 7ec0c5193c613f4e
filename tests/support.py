"""Plain helpers the tiers share (no fixtures: those live in each tier's conftest.py).

- expectations: ``found(value, what)`` fails the test when ``value`` is None, ``attr(element, name)``
  an XML attribute that must be there;
- paths: ``ROOT``, ``BPMN_DIR`` (tests/bpmn), ``PROCESSES`` (processes/);
- time: ``at("2026-11-20T09:00:00+08:00")`` is a FixedClock there;
- use cases: ``act(db, use_case, as_="dispatcher", at=..., **args)`` runs one through the runner,
  the one way into them (the CLI and the web app use it too); ``deploy_files`` deploys files;
  ``deployed_meta`` and ``stored_state_size`` read what deploying and stepping stored;
- databases: ``database(url)`` opens one as it is; ``initialized(url, processes_dir)`` makes an
  initialized one (schema, groups, demo users) from a template built once per session;
  ``new_pg_database`` a fresh, empty one on a PostgreSQL server;
- the CLI: ``Wuye(url)("start", ...)`` runs `wuye` in-process (or ``.subprocess(...)``)."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from engine.clock import Clock, FixedClock, parse_instant
from engine.rules.permissions import SYSTEM, Actor
from engine.usecases.runner import handle

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "tests" / "bpmn"
PROCESSES = ROOT / "processes"
INITIALIZED_AT = "2026-11-02T08:00:00+08:00"       # when every test database was initialized

T = TypeVar("T")


# -- things a test expects to be there ------------------------------------------------------------

def found(value: T | None, what: str) -> T:
    """``value``, which the test expects to be there (a regex match, an XML element, ...): fails the
    test saying ``what`` was not found when it is None."""
    if value is None:
        raise AssertionError(f"{what} not found")
    return value


def attr(element: Any, name: str) -> str:
    """The attribute ``name`` of the XML ``element``, which the test expects it to have."""
    return found(element.get(name), f"attribute {name!r} on <{element.tag}>")


# -- time and use cases ---------------------------------------------------------------------------

def at(text: str) -> FixedClock:
    """A fixed clock at ``text`` (ISO 8601 with offset)."""
    return FixedClock(parse_instant(text))


def act(db, use_case: Callable[..., Any], *, as_: Actor | str | None = SYSTEM,
        at: Clock | str = INITIALIZED_AT, **args: Any) -> Any:
    """Run ``use_case`` through the runner as the user named ``as_`` (or an Actor; None for the use
    cases that take none), on ``at`` (a clock, or an instant for a fixed one)."""
    clock = FixedClock(parse_instant(at)) if isinstance(at, str) else at
    return handle(db, use_case, actor=as_, clock=clock, **args)


def deploy_files(db, *files: Path | tuple[str, bytes], as_: Actor | str = SYSTEM,
                 at: Clock | str = INITIALIZED_AT) -> dict[str, dict]:
    """Deploy ``files`` (paths, or (name, content) pairs) in one call, as the system unless ``as_``
    says who; the versions deployed (``version``, ``new``, ...), by process or decision id."""
    from engine.usecases.deploy import deploy
    pairs = [f if isinstance(f, tuple) else (f.name, f.read_bytes()) for f in files]
    out = act(db, deploy, as_=as_, at=at, files=pairs)
    return {d["id"]: d for d in out["deployed"]}


def deployed_meta(db, process_id: str) -> dict:
    """What deploying read from the latest version of ``process_id`` (lanes, forms, elements)."""
    with db.uow(readonly=True) as uow:
        return uow.definitions.latest("bpmn", process_id).meta


def stored_state_size(db, instance_id: int) -> int:
    """How long the workflow JSON the last step of ``instance_id`` stored is (in characters)."""
    with db.uow(readonly=True) as uow:
        return len(uow.instances.get(instance_id).state)


# -- databases ------------------------------------------------------------------------------------

_SQLITE_TEMPLATE: list[Path] = []
_PG_TEMPLATES: dict[str, str] = {}


def database(url: str):
    """A Database for ``url`` as it is (the one place the tests open one; dispose() it after)."""
    from storage.uow import Database
    return Database(url)


def new_pg_database(server_url: str) -> str:
    """A new, empty database on the server at ``server_url``; its URL."""
    from bench.pgserver import new_database
    return new_database(server_url)


def _initialize(url: str, processes_dir: Path | None):
    from engine.usecases.init import initialize
    db = database(url)
    act(db, initialize, as_=None, demo=True, processes_dir=processes_dir, simulation=True)
    return db


def _pg_from_template(url: str, processes_dir: Path | None) -> str:
    """A fresh, empty PostgreSQL database re-created from an initialized template database (CREATE
    DATABASE ... TEMPLATE), built once per server."""
    import psycopg
    server, name = url.rsplit("/", 1)
    if server not in _PG_TEMPLATES:
        template_url = new_pg_database(server)
        _initialize(template_url, processes_dir).dispose()
        _PG_TEMPLATES[server] = template_url.rsplit("/", 1)[1]
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_PG_TEMPLATES[server]}"')
    return url


def initialized(url: str, processes_dir: Path | None):
    """The database at ``url``, initialized (schema, groups, demo users, the processes in
    ``processes_dir``). An empty SQLite file or PostgreSQL database with no processes to deploy is a
    copy of one template initialized once per session: `initialize` hashes 19 demo passwords with
    scrypt (~5 s), which every test paid before; the copy is byte-for-byte what `initialize` writes."""
    target = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    nothing_to_deploy = processes_dir is not None and not any(
        p.suffix in (".bpmn", ".dmn") for p in processes_dir.glob("*"))
    if target is not None and nothing_to_deploy and not target.exists():
        if not _SQLITE_TEMPLATE:
            template = Path(tempfile.mkdtemp(prefix="wuye-template-")) / "template.sqlite3"
            _initialize(f"sqlite:///{template}", processes_dir).dispose()   # the WAL is checkpointed
            _SQLITE_TEMPLATE.append(template)
        shutil.copyfile(_SQLITE_TEMPLATE[0], target)
        return database(url)
    if url.startswith("postgresql") and nothing_to_deploy:
        return database(_pg_from_template(url, processes_dir))
    return _initialize(url, processes_dir)


def initialized_sqlite(folder: Path, name: str = "wuye.sqlite3"):
    """An initialized SQLite database (no processes) in ``folder``, e.g. for a module's fixture."""
    empty = folder / "no-processes"
    empty.mkdir(exist_ok=True)
    return initialized(f"sqlite:///{folder / name}", empty)


# -- the CLI --------------------------------------------------------------------------------------

@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Wuye:
    """Runs `wuye` against one database: in-process by default (fast), or as a real subprocess."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, *args: str, now: str | datetime | None = None, stdin: str | None = None) -> CliResult:
        from cli.main import main
        argv = ([f"--now={now.isoformat() if isinstance(now, datetime) else now}"] if now else []) + list(args)
        out, err = io.StringIO(), io.StringIO()
        old_env, old_stdin = os.environ.get("WUYE_DATABASE_URL"), sys.stdin
        os.environ["WUYE_DATABASE_URL"] = self.url
        sys.stdin = io.StringIO(stdin) if stdin is not None else io.StringIO("")
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as e:          # argparse usage errors
                    code = e.code if isinstance(e.code, int) else 2
        finally:
            sys.stdin = old_stdin
            if old_env is None:
                os.environ.pop("WUYE_DATABASE_URL", None)
            else:
                os.environ["WUYE_DATABASE_URL"] = old_env
        return CliResult(code, out.getvalue(), err.getvalue())

    def subprocess(self, *args: str, now: str | None = None, stdin: str | None = None,
                   timeout: float = 120) -> CliResult:
        argv = [sys.executable, "-m", "cli"] + ([f"--now={now}"] if now else []) + list(args)
        env = {**os.environ, "WUYE_DATABASE_URL": self.url, "PYTHONPATH": str(ROOT)}
        p = subprocess.run(argv, input=stdin or "", capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
        return CliResult(p.returncode, p.stdout, p.stderr)


def rebuild_chain_from(db, seq: int, **changes) -> None:
    """What an attacker with the database does: edit event ``seq`` (``changes``), then re-hash it and
    every event after it and move the chain head to the new last hash, so the chain is whole again."""
    from sqlalchemy import select, update

    from storage.chain import event_hash
    from storage.models import ChainHead, Event
    with db.engine.begin() as conn:
        prev = conn.scalar(select(Event.hash).where(Event.seq == seq - 1))
        for row in conn.execute(select(Event).where(Event.seq >= seq).order_by(Event.seq)).all():
            fields = {"seq": row.seq, "instance_id": row.instance_id, "type": row.type, "actor": row.actor,
                      "at": row.at, "task_id": row.task_id, "data": row.data, "prev_hash": prev}
            if row.seq == seq:
                fields.update(changes)
            prev = event_hash(**fields)
            conn.execute(update(Event).where(Event.seq == row.seq).values(**fields, hash=prev))
        conn.execute(update(ChainHead).where(ChainHead.id == 1).values(hash=prev))
