"""Benchmark the fake Tripletex: simple GET requests/s over keep-alive and 1,000-entry batch POST time.

Run: ``python -m bench.fake_throughput [--requests 4000] [--threads 2] [--batches 5]``.
Prints one JSON line with the figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _conn(base):
    u = urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def _request(conn, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, payload


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=4000, help="total simple GETs (split over threads)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=5, help="1,000-entry batch POSTs to time")
    args = ap.parse_args(argv)

    proc = subprocess.Popen([sys.executable, "-m", "fake_tripletex", "--port", "0", "--seed", "demo"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        info = json.loads(proc.stdout.readline())
        base = info["base_url"]
        prefix = urlsplit(base).path
        demo = info["companies"][0]
        conn = _conn(base)
        q = urlencode({"consumerToken": info["consumer_token"], "employeeToken": demo["employee_tokens"]["GrønnJobb"],
                       "expirationDate": (dt.date.today() + dt.timedelta(days=1)).isoformat()})
        status, payload = _request(conn, "PUT", f"{prefix}/token/session/:create?{q}")
        token = json.loads(payload)["value"]["token"]
        auth = {"Authorization": "Basic " + b64encode(f"0:{token}".encode()).decode()}

        # Simple GETs: a small page of employees with narrow fields, as a client would poll.
        per_thread = args.requests // args.threads
        errors: list[int] = []

        def worker():
            c = _conn(base)
            for _ in range(per_thread):
                st, _ = _request(c, "GET", f"{prefix}/employee?count=10&fields=id,firstName", headers=auth)
                if st != 200:
                    errors.append(st)
            c.close()

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        rps = per_thread * args.threads / elapsed

        def ids(path):
            return [v["id"] for v in json.loads(_request(conn, "GET", f"{prefix}{path}", headers=auth)[1])["values"]]

        employees = ids("/employee?fields=id")
        project = ids("/project/%3EforTimeSheet?fields=id")[0]
        activity = ids("/activity?isProjectActivity=true&fields=id")[0]
        times = []
        start = dt.date(2030, 1, 1)
        for b in range(args.batches):
            entries = [{"employee": {"id": employees[i % len(employees)]}, "project": {"id": project},
                        "activity": {"id": activity},
                        "date": (start + dt.timedelta(days=b * 40 + i // len(employees))).isoformat(), "hours": 7.5}
                       for i in range(1000)]
            t = time.perf_counter()
            st, _ = _request(conn, "POST", f"{prefix}/timesheet/entry/list", body=entries, headers=auth)
            times.append(time.perf_counter() - t)
            if st != 201:
                errors.append(st)
        print(json.dumps({"get_requests": per_thread * args.threads, "client_threads": args.threads,
                          "get_requests_per_s": round(rps, 1),
                          "batch_1000_post_ms_median": round(statistics.median(times) * 1000, 1),
                          "batch_1000_post_ms_all": [round(x * 1000, 1) for x in times],
                          "errors": len(errors)}))
        return 0 if not errors else 1
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
