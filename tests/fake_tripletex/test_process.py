"""The command line: first stdout line, port 0, prompt stop on SIGINT/SIGTERM."""
import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_port_zero_first_line_and_prompt_stop_on_signal(sig, fake_tripletex):
    proc = subprocess.Popen([sys.executable, "-m", "fake_tripletex", "--port", "0", "--seed", "demo"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        info = json.loads(proc.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:") and not info["base_url"].endswith(":0/v2")
        assert info["consumer_token"]
        demo = info["companies"][0]
        assert demo["name"] == "Demo AS" and set(demo["employee_tokens"]) == {"GrønnJobb", "Annen app"}
        # A keep-alive connection left open must not delay shutdown.
        port = int(info["base_url"].split(":")[2].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/_fake/health")
        assert conn.getresponse().read()
        t = time.perf_counter()
        proc.send_signal(sig)
        proc.wait(3)
        assert time.perf_counter() - t < 2
        conn.close()
    finally:
        if proc.poll() is None:
            proc.kill()
