"""`make run`: the fake Tripletex, the web server, and a Celery worker with beat, as one foreground group.

Ctrl-C stops everything within a few seconds and leaves no process or port behind.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
WEB = ("127.0.0.1", int(os.environ.get("GRJOBB_WEB_PORT", "8000")))
FAKE = ("127.0.0.1", int(os.environ.get("GRJOBB_FAKE_PORT", "8765")))
STOP_GRACE_SECONDS = 6


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def start_fake(procs: list) -> dict:
    proc = subprocess.Popen(
        [PY, "-m", "fake_tripletex", "--host", FAKE[0], "--port", str(FAKE[1]), "--seed", "demo"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    procs.append(proc)
    first = proc.stdout.readline()
    if not first.startswith("{"):
        raise SystemExit("The fake Tripletex did not start; see the lines above.")
    # Keep passing its later output on, so it never blocks on a full pipe.
    threading.Thread(target=lambda: [sys.stdout.write(line) for line in proc.stdout], daemon=True).start()
    return json.loads(first)


def main() -> int:
    for name, (host, port) in (("web", WEB), ("fake Tripletex", FAKE)):
        if not port_free(host, port):
            print(f"Port {port} is in use, so the {name} server cannot start. Stop what uses it and run `make run` again.")
            return 1

    procs: list[subprocess.Popen] = []
    env = dict(os.environ)
    interrupted = []

    def on_signal(signum, frame):
        # Ctrl-C reaches every process in the group at once; note it so their exits are not "unexpected".
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        info = start_fake(procs)
        env["TRIPLETEX_BASE_URL"] = info["base_url"]
        env["TRIPLETEX_CONSUMER_TOKEN"] = info["consumer_token"]
        # The fake posts webhooks to this web server, so changes made in it arrive here at once.
        env.setdefault("SITE_URL", f"http://{WEB[0]}:{WEB[1]}")
        print(json.dumps(info, ensure_ascii=False), flush=True)
        procs.append(subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"{WEB[0]}:{WEB[1]}", "--workers", "2", "--threads", "4",
             "--graceful-timeout", "3", "--access-logfile", "-"],
            cwd=ROOT, env=env,
        ))
        # Beat in its own process rather than embedded (-B): the embedded one holds the worker's
        # shutdown for seconds, and Ctrl-C should be quick.
        for command in (["worker", "--pool=solo", "--loglevel=INFO"], ["beat", "--loglevel=INFO"]):
            procs.append(subprocess.Popen([PY, "-m", "celery", "-A", "config", *command], cwd=ROOT, env=env))
        demo = info["companies"][0]
        print(
            "\n"
            f"  GrønnJobb kjører på http://{WEB[0]}:{WEB[1]}/\n"
            "  Logg inn: admin@demo.no / demo1234\n"
            f"  Tripletex (falsk, for demo): {info['base_url']}\n"
            f"  API-nøkkel for «GrønnJobb» i {demo['name']}: {demo['employee_tokens']['GrønnJobb']}\n"
            "  Gå til Selskapsinnstillinger → Generelt → «Koble til Tripletex» og lim inn nøkkelen.\n"
            "  Ctrl-C stopper alt.\n",
            flush=True,
        )
        while all(p.poll() is None for p in procs):
            time.sleep(0.3)
        if interrupted:
            return 0
        print("A process stopped unexpectedly; stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(procs)


def stop(procs: list[subprocess.Popen]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for p in procs:
        if p.poll() is None:
            # Celery's warm shutdown waits for beat and running tasks; a cold one (SIGQUIT) is safe because
            # tasks are acked late and idempotent, and keeps Ctrl-C quick.
            p.send_signal(signal.SIGQUIT if "celery" in p.args else signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
