"""A real local HTTP receiver standing in for the providers' endpoints (Aliyun SMS, WeCom and
DingTalk group robots): it checks each request the way the provider does (Aliyun's signature, the
robots' JSON shape), records it with the time it arrived, and answers in the provider's format.
``fail`` makes it refuse the next N requests (``Code: isv.BUSINESS_LIMIT_CONTROL`` / ``errcode``)."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.notify.channels import aliyun_signature

SECRET = "test-secret-key"


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: Any
    at: float            # time.monotonic() when it arrived


@dataclass
class Receiver:
    url: str
    got: list[Received] = field(default_factory=list)
    fail: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    def sms(self) -> list[dict[str, str]]:
        return [r.query for r in self.got if r.path.startswith("/sms")]

    def robots(self, prefix: str) -> list[Any]:
        return [r.body for r in self.got if r.path.startswith(prefix)]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            refuse = receiver.fail > 0
            if refuse:
                receiver.fail -= 1
            if parts.path.startswith("/sms"):
                signature = query.pop("Signature", "")
                if signature != aliyun_signature(query, SECRET):
                    return self._answer({"Code": "SignatureDoesNotMatch", "Message": "signature not matched"})
                if refuse:
                    return self._answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"})
                answer: dict[str, Any] = {"Code": "OK", "Message": "OK", "BizId": f"biz{len(receiver.got)}",
                                          "RequestId": "r"}
            else:
                if not (isinstance(body, dict) and body.get("msgtype") == "text" and "content" in body.get("text", {})):
                    return self._answer({"errcode": 40008, "errmsg": "invalid message type"})
                answer = {"errcode": 93000 if refuse else 0, "errmsg": "busy" if refuse else "ok"}
                if refuse:
                    return self._answer(answer)
            receiver.got.append(Received(parts.path, query, body, time.monotonic()))
            receiver.arrived.set()
            self._answer(answer)

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def sms_settings(receiver: Receiver) -> dict[str, str]:
    return {"endpoint": f"{receiver.url}/sms/", "access_key_id": "LTAItest", "access_key_secret": SECRET,
            "sign_name": "物业客服", "template_code": "SMS_000001"}
