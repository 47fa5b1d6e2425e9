"""Real Celery workers for the hours tests: `celery -A config worker` subprocesses on the test database.

The worker must see the rows this test commits, so it gets the test database's own settings (the test
database's name differs from DATABASE_URL's), the test's broker, the fake's URL and consumer token, and
a queue of its own so that no other worker on this machine takes the test's tasks.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = db["NAME"]
        if "memory" in str(name):
            raise RuntimeError("worker tests need a file-based SQLite test database (see tests/hours/conftest.py)")
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in db["ENGINE"]:
        user = quote(db.get("USER") or "")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"
    raise RuntimeError(f"no worker support for {db['ENGINE']}")


class Workers:
    def __init__(self, log_dir: Path, extra_env: dict[str, str]):
        self.queue = f"hours-test-{uuid.uuid4().hex[:10]}"
        self.log_dir = log_dir
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "TRIPLETEX_BASE_URL": settings.TRIPLETEX_BASE_URL,
            "TRIPLETEX_CONSUMER_TOKEN": settings.TRIPLETEX_CONSUMER_TOKEN,
            "HOURS_QUEUE": self.queue,
            "LOG_LEVEL": "INFO",
            **extra_env,
        }
        self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)

    def configure(self, settings, **values) -> None:
        """Same tuning in this process (the test's own calls) and in the workers started after this."""
        for name, value in values.items():
            setattr(settings, name, value)
            self.env[name] = str(value)

    def start(self, *, concurrency: int = 1) -> subprocess.Popen:
        n = len(self.procs)
        log = self.log_dir / f"worker{n}.log"
        pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, *pool, "-l", "INFO",
             "-n", f"hours{n}-{self.queue}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.procs.append((proc, log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited at start:\n{log.read_text()[-3000:]}")
            if " ready." in log.read_text():
                return proc
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready in 60 s:\n{log.read_text()[-3000:]}")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children: nothing gets to clean up."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(15)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for _p, log in self.procs)


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition", workers=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f"\n{workers.logs()}" if workers else ""))
