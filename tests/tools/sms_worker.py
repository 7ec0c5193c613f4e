"""A worker as Camunda 7 users write them, with Camunda's own Python client library
(camunda-external-task-client-python3), pointed at wuye's /engine-rest: it sends an SMS for topic
``sms``. The first attempt at each task fails (a gateway timeout) with one retry left; the retry
completes the task with the message id. Run: ``python sms_worker.py BASE_URL TOKEN WORKER_ID``."""
from __future__ import annotations

import sys
import warnings

warnings.simplefilter("ignore")          # the client library's own pydantic deprecations

from camunda.external_task.external_task import ExternalTask, TaskResult  # noqa: E402
from camunda.external_task.external_task_worker import ExternalTaskWorker  # noqa: E402

seen: set[str] = set()


def send_sms(task: ExternalTask) -> TaskResult:
    if task.get_task_id() not in seen:
        seen.add(task.get_task_id())
        return task.failure("短信网关超时 (gateway timeout)", "simulated on the first attempt", max_retries=1,
                            retry_timeout=0)
    return task.complete({"sms_id": f"M-{task.get_variable('phone')}", "sent_by": task.get_worker_id()})


def main() -> None:
    base_url, token, worker_id = sys.argv[1:4]
    config = {"maxTasks": 1, "lockDuration": 30_000, "asyncResponseTimeout": 2_000, "retries": 1,
              "retryTimeout": 0, "sleepSeconds": 0.2, "auth_bearer": {"access_token": token}}
    ExternalTaskWorker(worker_id=worker_id, base_url=base_url, config=config).subscribe(["sms"], send_sms)


if __name__ == "__main__":
    main()
