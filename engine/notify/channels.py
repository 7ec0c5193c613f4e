"""How a notice reaches someone outside the app: one adapter per kind of channel, each speaking
the provider's own wire format. The endpoint of every HTTP channel is a setting (the provider's
by default), so a company may use a proxy and the tests a real local receiver.

- ``sms``: Aliyun SMS (dysmsapi ``SendSms``, API version 2017-05-25, RPC style: the parameters in
  the query string, signed with HMAC-SHA1 over the sorted, percent-encoded parameters; the answer
  ``{"Code": "OK", "BizId": …}``). ``OutId`` carries the notice's key: the provider echoes it in
  its delivery receipts (it does not refuse a repeated one, so SMS is at least once).
- ``wecom``: a WeCom (企业微信) group robot, ``POST …/cgi-bin/webhook/send?key=KEY`` with
  ``{"msgtype": "text", "text": {"content", "mentioned_mobile_list"}}``; answer ``{"errcode": 0}``.
- ``dingtalk``: a DingTalk (钉钉) group robot, ``POST …/robot/send?access_token=T`` (with
  ``timestamp`` and ``sign`` when the robot has a signing secret: HMAC-SHA256 of
  ``"{timestamp}\\n{secret}"``), body ``{"msgtype": "text", "text": {"content"}, "at": {"atMobiles"}}``.
- ``email``: SMTP (STARTTLS and login when set); the ``Message-ID`` is derived from the notice's
  key, so a receiving system that de-duplicates by it sees a resend as the same message."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

TIMEOUT = 5.0           # seconds a provider may take to answer before the attempt counts as failed

DEFAULT_ENDPOINTS = {"sms": "https://dysmsapi.aliyuncs.com/",
                     "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
                     "dingtalk": "https://oapi.dingtalk.com/robot/send"}

# what each kind of channel needs in its settings (the admin page asks for these)
REQUIRED = {"sms": ("access_key_id", "access_key_secret", "sign_name", "template_code"),
            "wecom": ("key",), "dingtalk": ("access_token",), "email": ("host", "sender")}
SECRETS = ("access_key_secret", "key", "access_token", "secret", "password")


class SendFailed(Exception):
    """The provider refused or did not answer; the message says what it said."""


@dataclass(frozen=True)
class Outgoing:
    key: str             # the event's key: the idempotency key where the channel carries one
    address: str         # phone or e-mail ('' for a group robot)
    title: str
    body: str
    mentions: tuple[str, ...] = ()   # phones a group robot @-mentions


def send(kind: str, settings: dict[str, Any], notice: Outgoing, now: datetime) -> str:
    """Send one notice; returns the provider's id for it (or ''); raises SendFailed."""
    try:
        if kind == "sms":
            return _aliyun_sms(settings, notice, now)
        if kind == "wecom":
            return _wecom(settings, notice)
        if kind == "dingtalk":
            return _dingtalk(settings, notice, now)
        if kind == "email":
            return _smtp(settings, notice, now)
    except (OSError, smtplib.SMTPException, ValueError) as e:
        raise SendFailed(f"{type(e).__name__}: {e}") from None
    raise SendFailed(f"unknown channel kind {kind!r}")


# -- Aliyun SMS ---------------------------------------------------------------------------------------

def _percent(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Aliyun's RPC signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0)."""
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _aliyun_sms(settings: dict[str, Any], notice: Outgoing, now: datetime) -> str:
    params = {"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON",
              "RegionId": str(settings.get("region") or "cn-hangzhou"),
              "AccessKeyId": str(settings["access_key_id"]), "SignatureMethod": "HMAC-SHA1",
              "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
              "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "PhoneNumbers": notice.address, "SignName": str(settings["sign_name"]),
              "TemplateCode": str(settings["template_code"]),
              "TemplateParam": json.dumps({"title": notice.title[:35], "detail": notice.body[:35]}, ensure_ascii=False),
              "OutId": notice.key[:64]}
    params["Signature"] = aliyun_signature(params, str(settings["access_key_secret"]))
    url = (settings.get("endpoint") or DEFAULT_ENDPOINTS["sms"]) + "?" + urllib.parse.urlencode(params)
    answer = _http("GET", url, None)
    if answer.get("Code") != "OK":
        raise SendFailed(f"Aliyun SMS: {answer.get('Code')} {answer.get('Message', '')}".strip())
    return str(answer.get("BizId", ""))


# -- group robots -------------------------------------------------------------------------------------

def _text(notice: Outgoing) -> str:
    return f"{notice.title}\n{notice.body}" if notice.body else notice.title


def _wecom(settings: dict[str, Any], notice: Outgoing) -> str:
    url = (settings.get("endpoint") or DEFAULT_ENDPOINTS["wecom"]) + "?" + urllib.parse.urlencode(
        {"key": settings["key"]})
    body = {"msgtype": "text", "text": {"content": _text(notice), "mentioned_mobile_list": list(notice.mentions)}}
    answer = _http("POST", url, body)
    if answer.get("errcode") != 0:
        raise SendFailed(f"WeCom: {answer.get('errcode')} {answer.get('errmsg', '')}".strip())
    return ""


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _dingtalk(settings: dict[str, Any], notice: Outgoing, now: datetime) -> str:
    query: dict[str, str] = {"access_token": str(settings["access_token"])}
    if settings.get("secret"):
        stamp = int(now.timestamp() * 1000)
        query |= {"timestamp": str(stamp), "sign": dingtalk_sign(stamp, str(settings["secret"]))}
    url = (settings.get("endpoint") or DEFAULT_ENDPOINTS["dingtalk"]) + "?" + urllib.parse.urlencode(query)
    body = {"msgtype": "text", "text": {"content": _text(notice)},
            "at": {"atMobiles": list(notice.mentions), "isAtAll": False}}
    answer = _http("POST", url, body)
    if answer.get("errcode") != 0:
        raise SendFailed(f"DingTalk: {answer.get('errcode')} {answer.get('errmsg', '')}".strip())
    return ""


def _http(method: str, url: str, body: dict[str, Any] | None) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as e:
        raise SendFailed(f"HTTP {e.code}") from None
    except json.JSONDecodeError:
        raise SendFailed("the provider's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise SendFailed("the provider's answer is not a JSON object")
    return answer


# -- e-mail ---------------------------------------------------------------------------------------------

def message_id(key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "wuye.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _smtp(settings: dict[str, Any], notice: Outgoing, now: datetime) -> str:
    sender = str(settings["sender"])
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, notice.address, notice.title
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(notice.key + "|" + notice.address, sender)
    msg.set_content(notice.body or notice.title)
    port = int(settings.get("port") or 25)
    with smtplib.SMTP(str(settings["host"]), port, timeout=TIMEOUT) as smtp:
        if settings.get("starttls"):
            smtp.starttls()
        if settings.get("user"):
            smtp.login(str(settings["user"]), str(settings.get("password") or ""))
        smtp.send_message(msg)
    return str(msg["Message-ID"])
