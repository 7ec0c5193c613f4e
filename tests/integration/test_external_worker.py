"""An external task fetched, failed, retried and completed by a real worker process over HTTP: `wuye
serve` on a real port, and a worker written with Camunda 7's own Python client library, which knows
nothing of wuye but its base URL (/engine-rest) and a worker token."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from engine.usecases import external_tasks as et
from engine.usecases.instances import history, show_instance
from engine.usecases.start_instance import start_instance
from tests.integration.loops import wait_until
from tests.integration.test_timer_loop import _free_port
from tests.support import BPMN_DIR, ROOT, act, deploy_files

pytest.importorskip("camunda.external_task.external_task_worker", reason="the Camunda client is a test extra")


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_a_camunda_client_worker_fails_retries_and_completes_an_sms_over_http(sqlite_db):
    db = sqlite_db
    deploy_files(db, BPMN_DIR / "interop" / "external_task.bpmn")
    act(db, et.grant_topics, name="worker", topics=["sms"])
    port = _free_port()
    env = {**os.environ, "WUYE_DATABASE_URL": db.url, "PYTHONPATH": str(ROOT), "WUYE_TIMER_LOOP": "off"}
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                urllib.request.urlopen(f"{base}/login", timeout=2)
            except OSError:
                return False
            return True
        wait_until(answers, 30, "wuye serve to answer")
        token = _post(f"{base}/api/login", {"username": "worker", "password": "worker"})["token"]
        worker = subprocess.Popen([sys.executable, str(ROOT / "tests" / "tools" / "sms_worker.py"),
                                   f"{base}/engine-rest", token, "sms-worker-1"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        instance = act(db, start_instance, as_="front_desk", process_id="external_task",
                       data={"phone": "13800000001"})["instance"]

        def confirmed() -> bool:
            return bool(act(db, show_instance, as_="admin", instance_id=instance)["ready"]) or worker.poll() is not None
        wait_until(confirmed, 60, "the worker to complete the SMS task")
        assert worker.poll() is None, worker.communicate()[1][-3000:]
    finally:
        for proc in (worker, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
    shown = act(db, show_instance, as_="admin", instance_id=instance)
    assert [t["name"] for t in shown["ready"]] == ["confirm"]
    assert shown["data"]["sms_id"] == "M-13800000001" and shown["data"]["sent_by"] == "sms-worker-1"
    steps = [(e["type"], e["actor"], e["data"]) for e in act(db, history, as_="admin", instance_id=instance)]
    kinds = [t for t, _, _ in steps]
    assert kinds[:2] == ["instance_started", "external_task_created"]
    assert kinds[2:5] == ["external_task_locked", "external_task_failed", "external_task_locked"]
    assert kinds[-1] == "external_task_completed"
    failed = next(d for t, _, d in steps if t == "external_task_failed")
    assert failed["retries"] == 1 and "gateway timeout" in failed["error"]
    by_worker = [actor for t, actor, _ in steps if t.startswith("external_task_") and t != "external_task_created"]
    assert set(by_worker) == {"worker"}
