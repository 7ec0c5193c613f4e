"""A throwaway PostgreSQL server from Debian's packages (initdb in a temp dir, pg_ctl on a free port),
used by the test fixtures and the benchmarks. As root, the server runs as the `postgres` user."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ServerMissing(RuntimeError):
    pass


def server_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_server(max_connections: int = 200) -> Iterator[str]:
    """Yields the server's base URL (``postgresql+psycopg://postgres@127.0.0.1:PORT``)."""
    b = server_bin()
    if b is None:
        raise ServerMissing("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = tempfile.mkdtemp(prefix="wuye-pg-")      # not pytest's tmp_path: its 0700 parent blocks postgres
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = os.path.join(base, "data"), _free_port()
    try:
        subprocess.run([*as_pg, f"{b}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
        started = subprocess.run([*as_pg, f"{b}/pg_ctl", "-D", data, "-l", f"{base}/log", "-w", "-o",
                                  f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                                  f"-c max_connections={max_connections}", "start"], capture_output=True)
        if started.returncode != 0:
            log = Path(base, "log").read_text() if Path(base, "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.decode()} {log}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_pg, f"{b}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A new, empty database on the server; returns its URL."""
    import psycopg
    name = "wuye_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
