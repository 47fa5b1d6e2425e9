"""The fault suite as a benchmark: every scenario of `bench.fault_scenarios`, one JSON line each.

    python -m bench.faults [--postgres URL] [--redis URL] [--companies 5 --rounds 4 --entries 20]
                           [--only redis_restart ...]

Runs on a scratch PostgreSQL database (made on the --postgres server, dropped at the end) and the --redis
broker (queues of its own; the Redis-restart scenario starts a redis-server of its own on a free port from
6390), with the fake Tripletex started here and real Celery workers. Each line has `scenario`,
`operations`, `delivered_once`, `duplicates`, `missing` and `recovery_s`; every duplicates and missing must
be 0, and the exit status says whether they were.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.wizard import _drop_postgres, _scratch_postgres, emit, start_fake
from bench.wizard import stop as stop_fake


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server the scratch database is made on")
    parser.add_argument("--redis", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
                        help="the broker for every scenario but the Redis restart")
    parser.add_argument("--companies", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--entries", type=int, default=20, help="hours approved per company and round")
    parser.add_argument("--creates", type=int, default=3, help="customers created per company and round")
    parser.add_argument("--renames", type=int, default=2, help="customers renamed per company and round")
    parser.add_argument("--only", nargs="*", default=None, help="scenario names (default: all)")
    args = parser.parse_args(argv)
    if not args.redis.startswith("redis://"):
        parser.error("--redis must be a redis:// URL: the scenarios run on the production stack")

    scratch = _scratch_postgres(args.postgres, prefix="bench_faults")
    fake_proc, info = start_fake()
    var_dir = Path(tempfile.mkdtemp(prefix="grjobb-bench-faults-"))
    failed = False
    try:
        os.environ.update({
            "GRJOBB_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": scratch["url"], "CELERY_BROKER_URL": args.redis,
            "TRIPLETEX_BASE_URL": info["base_url"], "TRIPLETEX_CONSUMER_TOKEN": info["consumer_token"],
        })
        os.environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
        import django

        django.setup()
        # Errors the scenarios cause on purpose (a broker down at commit) are logged with tracebacks;
        # the output is the JSON lines.
        logging.disable(logging.CRITICAL)
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        from bench import fault_scenarios as fs

        setup_test_environment()  # the admin's page is asked with the test client
        call_command("migrate", verbosity=0)
        size = fs.Size(companies=args.companies, rounds=args.rounds, entries=args.entries, creates=args.creates,
                       renames=args.renames)
        fake = fs.Fake(info["base_url"], info["consumer_token"])
        for name, scenario in fs.SCENARIOS.items():
            if args.only and name not in args.only:
                continue
            if name == "redis_restart" and not fs.Redis.available():
                emit(scenario=name, skipped="redis-server is not installed")
                continue
            log_dir = var_dir / name
            log_dir.mkdir()
            redis = fs.Redis(fs.Redis.free_port(), log_dir) if name == "redis_restart" else None
            started = time.monotonic()
            try:
                with fs.Stack(settings=settings, fake=fake, database_url=scratch["url"], broker_url=args.redis,
                              log_dir=log_dir, size=size, redis=redis) as st:
                    line = scenario(st)
            except Exception:  # noqa: BLE001 - one scenario's crash is reported, the others still run
                failed = True
                emit(scenario=name, error=traceback.format_exc(limit=5), logs=str(log_dir))
                continue
            line["seconds"] = round(time.monotonic() - started, 1)
            failed |= bool(line["duplicates"] or line["missing"] or line["delivered_once"] != line["operations"])
            print(json.dumps(line, ensure_ascii=False), flush=True)
    finally:
        stop_fake(fake_proc)
        from django.db import connections

        connections.close_all()
        _drop_postgres(scratch)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
