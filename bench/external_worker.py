"""One external-task worker for bench/external_tasks.py: plain urllib against /engine-rest, no client
library. Fetches one task at a time (long polling), completes it at once, and prints a JSON line per
task: its id, instance, the fetch-to-complete time (from the fetch's answer to the complete's 204)
and the wall time it was completed. Stops after ``idle`` empty polls in a row.

    python -m bench.external_worker BASE_URL TOKEN WORKER_ID [IDLE]"""
from __future__ import annotations

import json
import sys
import time
import urllib.request


def _post(url: str, token: str, body: dict) -> bytes:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return bytes(resp.read())


def main() -> None:
    base, token, worker = sys.argv[1:4]
    idle_limit = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    fetch = {"workerId": worker, "maxTasks": 1, "asyncResponseTimeout": 1000,
             "topics": [{"topicName": "sms", "lockDuration": 30_000, "variables": ["phone"]}]}
    idle = 0
    while idle < idle_limit:
        tasks = json.loads(_post(f"{base}/external-task/fetchAndLock", token, fetch))
        if not tasks:
            idle += 1
            continue
        idle = 0
        for task in tasks:
            fetched = time.perf_counter()
            _post(f"{base}/external-task/{task['id']}/complete", token,
                  {"workerId": worker, "variables": {"sms_id": {"value": f"M-{task['id'][:8]}", "type": "String"}}})
            done = time.perf_counter()
            print(json.dumps({"id": task["id"], "instance": int(task["processInstanceId"]),
                              "fetch_to_complete_ms": (done - fetched) * 1000, "completed_at": time.time()}),
                  flush=True)


if __name__ == "__main__":
    main()
