"""Command line entry point: ``python -m fake_tripletex --host 127.0.0.1 --port 8765 [--seed demo]``.

The first line on stdout is one JSON object with base_url, consumer_token and the
companies with their employee tokens; everything else goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from .app import FakeTripletex
from .control import seed_demo, startup_info
from .server import Server
from .spec import spec_path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fake_tripletex", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    ap.add_argument("--seed", choices=["demo", "none"], default="none")
    ap.add_argument("--validate", action="store_true",
                    default=os.environ.get("FAKE_TRIPLETEX_VALIDATE", "") not in ("", "0", "false"),
                    help="validate request/response bodies against the spec (env FAKE_TRIPLETEX_VALIDATE=1)")
    ap.add_argument("--rate-limit", type=int, default=int(os.environ.get("FAKE_TRIPLETEX_RATE_LIMIT", "100000")),
                    help="requests per window per (consumer token, employee token)")
    ap.add_argument("--rate-window", type=float, default=10.0, help="rate limit window in seconds")
    ap.add_argument("--consumer-token", default=os.environ.get("FAKE_TRIPLETEX_CONSUMER_TOKEN", ""),
                    help="the consumer token of «GrønnJobb» (env FAKE_TRIPLETEX_CONSUMER_TOKEN); random if not given. "
                         "A fixed one lets the app's TRIPLETEX_CONSUMER_TOKEN be set before the fake starts")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if not spec_path().is_file():
        # The fake answers in the shapes Tripletex's own spec gives; it cannot start without it.
        print(f"fake_tripletex: Tripletex's OpenAPI spec was not found at {spec_path()}; "
              "set TRIPLETEX_OPENAPI to its path.", file=sys.stderr)
        return 2

    app = FakeTripletex(validate=args.validate, rate_limit=args.rate_limit, rate_window=args.rate_window)
    server = Server((args.host, args.port), app)
    host, port = server.server_address[:2]
    app.base_url = f"http://{host}:{port}/v2"
    if args.consumer_token:
        app.store.consumer_tokens[args.consumer_token] = "GrønnJobb"
    app.store.consumer_token_for("GrønnJobb")
    if args.seed == "demo":
        seed_demo(app)
    sys.stdout.write(json.dumps(startup_info(app), ensure_ascii=False) + "\n")
    sys.stdout.flush()

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    while not stop.wait(0.5):
        pass
    app.stopping.set()
    app.webhooks.stop()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
