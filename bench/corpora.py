"""corpora: how many files of each external corpus (../shared/external: the BPMN MIWG reference
models, the Camunda 7 examples) deploy, each file alone on a fresh database, as they are and after
the modeler's Camunda import translation (engine/usecases/camunda_import.py: a Java class, bean,
expression or connector becomes an external task). A refusal is a ``WuyeError`` (a clear,
line-numbered reason); anything else escaping the deploy is a traceback and is named.

    python -m bench.corpora [--external DIR] [--reasons]

To measure another checkout's code with this script (the figures are the code's, not the script's):
``cd OTHER && python -c "import runpy; runpy.run_path('/path/to/bench/corpora.py', run_name='__main__')"``."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from lxml import etree

from engine.clock import SystemClock
from engine.deploy.meta import BPMN_NS
from engine.deploy.safe_xml import parse_xml
from engine.errors import WuyeError
from engine.rules.permissions import SYSTEM
from engine.usecases.camunda_import import prepare_import
from engine.usecases.deploy import deploy
from engine.usecases.init import initialize
from engine.usecases.runner import Database, connect, handle

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "external"
CORPORA = ("bpmn-miwg", "camunda7-examples")
# as is; as the modeler's import sends it on; and with the modeler's "mark executable" fix too
MODES = ("as_is", "imported", "imported_marked_executable")


def _fresh(folder: Path) -> Database:
    empty = folder / "np"
    empty.mkdir(exist_ok=True)
    db = connect(f"sqlite:///{folder / 'wuye.sqlite3'}")
    handle(db, initialize, actor=None, clock=SystemClock(), demo=True, processes_dir=empty)
    return db


def _outcome(db: Database, name: str, data: bytes) -> tuple[str, str]:
    """('deployed' | 'refused' | 'traceback', the first line of the reason)."""
    try:
        handle(db, deploy, actor=SYSTEM, clock=SystemClock(), files=[(name, data)])
    except WuyeError as e:
        return "refused", e.message.splitlines()[0] if e.message else ""
    except Exception:  # noqa: BLE001 -- what this bench exists to find
        return "traceback", traceback.format_exc().strip().splitlines()[-1]
    return "deployed", ""


def _translated(db: Database, path: Path) -> bytes:
    """The file as the modeler's import sends it on: a BPMN file with Java implementations
    translated; anything else as it is."""
    data = path.read_bytes()
    if path.suffix != ".bpmn":
        return data
    try:
        done = handle(db, prepare_import, actor="process_owner", clock=SystemClock(),
                      xml=data.decode("utf-8"), file=path.name)
    except WuyeError:
        return data                 # the import refuses it too: deployed as it is, refused there
    return str(done["xml"]).encode("utf-8")


def _as_sent(db: Database, path: Path, mode: str) -> bytes:
    if mode == "as_is":
        return path.read_bytes()
    data = _translated(db, path)
    if mode == "imported_marked_executable" and path.suffix == ".bpmn":
        try:                   # what the refusal's fix does: isExecutable="true" on every process
            root = parse_xml(data, path.name)
        except WuyeError:
            return data
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            process.set("isExecutable", "true")
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def measure(external: Path) -> dict[str, Any]:
    """Each corpus and mode on a database of its own (a copy of one initialized template), its files
    deployed one by one in name order (a refused file stores nothing)."""
    out: dict[str, Any] = {}
    base = Path(tempfile.mkdtemp(prefix="wuye-corpora-"))
    try:
        (base / "template").mkdir()
        _fresh(base / "template").dispose()                # the WAL is checkpointed on dispose
        for corpus in CORPORA:
            files = sorted(p for p in (external / corpus).glob("*") if p.suffix in (".bpmn", ".dmn"))
            row: dict[str, Any] = {"files": len(files)}
            for mode in MODES:
                target = base / f"{corpus}-{mode}.sqlite3"
                shutil.copyfile(base / "template" / "wuye.sqlite3", target)
                db = connect(f"sqlite:///{target}")
                try:
                    results = {p.name: _outcome(db, p.name, _as_sent(db, p, mode)) for p in files}
                finally:
                    db.dispose()
                row[mode] = _summary(results)
            out[corpus] = row
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return out


def _summary(results: dict[str, tuple[str, str]]) -> dict[str, Any]:
    counts: dict[str, Any] = {k: sum(1 for v, _ in results.values() if v == k) for k in ("deployed", "refused",
                                                                                          "traceback")}
    counts["tracebacks"] = {n: why for n, (v, why) in results.items() if v == "traceback"}
    reasons: dict[str, int] = {}
    for v, why in results.values():
        if v == "refused":
            key = re.sub(r"^[^:]+:\d+: [^:]+: ", "", why)
            key = re.split(r"[(（:：'\"]", key, maxsplit=1)[0].strip() or key[:40]
            reasons[key] = reasons.get(key, 0) + 1
    counts["reasons"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--external", type=Path, default=DEFAULT)
    ap.add_argument("--reasons", action="store_true", help="also the refusal reasons, grouped")
    args = ap.parse_args(argv)
    figures = measure(args.external)
    if not args.reasons:
        for row in figures.values():
            for mode in MODES:
                row[mode].pop("reasons")
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 1 if any(row[m]["traceback"] for row in figures.values() for m in MODES) else 0


if __name__ == "__main__":
    sys.exit(main())
