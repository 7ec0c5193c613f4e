"""`python -m bench [--quick] [--no-pg] [--only engine,timers]`: prints the benchmark figures as JSON."""
from __future__ import annotations

import argparse
import importlib
import json
import sys

SUITES = ("engine", "timers", "inbox", "load", "api", "audit", "siege", "external_tasks", "search")


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    p.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL figures")
    p.add_argument("--only", default=",".join(SUITES))
    args = p.parse_args()
    out = {}
    for name in args.only.split(","):
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as e:
            out[name] = f"not available: {e}"
            continue
        out[name] = module.run(pg=not args.no_pg, quick=args.quick)
        print(json.dumps({name: out[name]}, ensure_ascii=False), file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
