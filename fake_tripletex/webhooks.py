"""Delivers webhook callbacks for subscribed events from a background thread.

The payload is rendered when the change happens (so it reflects that version), and
posted later, so a slow or dead subscriber never delays an API request.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
import uuid

from .kinds import KINDS
from .render import parse_fields

log = logging.getLogger(__name__)
MAX_FAILURES = 5


class Dispatcher:
    def __init__(self, app):
        self.app = app
        self.queue: queue.Queue = queue.Queue()
        self.delivered: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def on_change(self, company, kind: str, verb: str, obj: dict) -> None:
        event = f"{KINDS[kind].event}.{verb}"
        subs = [s for s in company.objects["subscription"].values()
                if s.get("event") == event and s.get("status", "ACTIVE") == "ACTIVE"]
        if not subs:
            return
        renderer = self.app.renderer(company)
        for sub in subs:
            if verb == "delete":
                value = {"id": obj["id"]}
            else:
                value = renderer.render(obj, KINDS[kind].schema, parse_fields(sub.get("fields")))
            payload = {"subscriptionId": sub["id"], "event": event, "id": obj["id"], "value": value}
            self.queue.put((company.id, sub["id"], dict(sub), payload))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                company_id, sub_id, sub, payload = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            ok = self._deliver(sub, payload)
            self.delivered.append({"subscriptionId": sub_id, "event": payload["event"], "id": payload["id"],
                                   "ok": ok})
            self._record(company_id, sub_id, ok)

    def _deliver(self, sub: dict, payload: dict) -> bool:
        body = json.dumps(payload, ensure_ascii=False).encode()
        idem = str(uuid.uuid4())
        headers = {"Content-Type": "application/json", "idempotency-key": idem}
        if sub.get("authHeaderName") and sub.get("authHeaderValue"):
            headers[sub["authHeaderName"]] = sub["authHeaderValue"]
        if sub.get("hmacSharedSecret"):
            mac = hmac.new(sub["hmacSharedSecret"].encode(), idem.encode() + b"&" + body, hashlib.sha512).digest()
            headers["x-request-signature"] = base64.b64encode(mac).decode()
        req = urllib.request.Request(sub["targetUrl"], data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return 200 <= resp.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.info("webhook delivery to subscription %s failed: %s", sub.get("id"), type(exc).__name__)
            return False

    def _record(self, company_id: int, sub_id: int, ok: bool) -> None:
        store = self.app.store
        with store.lock:
            company = store.companies.get(company_id)
            sub = company.get("subscription", sub_id) if company else None
            if sub is None:
                return
            sub["_failures"] = 0 if ok else sub.get("_failures", 0) + 1
            if sub["_failures"] >= MAX_FAILURES:
                sub["status"] = "DISABLED_TOO_MANY_ERRORS"

    def stop(self) -> None:
        self._stop.set()
