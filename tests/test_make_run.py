"""`make run` on the embedded default: it comes up, serves the login page, and Ctrl-C stops it all."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_serves_login_and_stops_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    web, fake = free_port(), free_port()
    env.update(GRJOBB_VAR_DIR=str(tmp_path), GRJOBB_WEB_PORT=str(web), GRJOBB_FAKE_PORT=str(fake))
    for cmd in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, check=True, capture_output=True)

    # Its own process group, as a terminal's foreground job is, so Ctrl-C reaches every process in it.
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    output: list[str] = []
    try:
        info = json.loads(proc.stdout.readline())
        threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
        assert info["companies"][0]["employee_tokens"]["GrønnJobb"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{web}/logg-inn/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # refused while starting, or slow to answer on a busy machine
                time.sleep(0.5)
        else:
            pytest.fail("the web server did not come up within 60 s")
        assert "admin@demo.no / demo1234" in "".join(output)
        assert info["companies"][0]["employee_tokens"]["GrønnJobb"] in "".join(output)

        os.killpg(proc.pid, signal.SIGINT)
        start = time.monotonic()
        proc.wait(timeout=15)
        assert time.monotonic() - start < 10
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(0.5)
    assert not port_open(web) and not port_open(fake)
    leftover = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert leftover == []
