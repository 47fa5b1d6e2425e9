"""The image and the compose stack, without a Docker engine: the Dockerfile and docker-compose.yml are parsed and
held to what the issue asks, every command they run must exist in the project, and the same commands are run
here as processes against this machine's database and broker (PostgreSQL and Redis in CI)."""
import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import get_commands

from ops import selectors

ROOT = Path(__file__).resolve().parent.parent.parent
APP_SERVICES = ("migrate", "web", "worker", "worker-hours", "beat", "fake-tripletex")


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")
    ))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in text.splitlines() if line.strip()]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list] = []
    for instruction, args in dockerfile():
        if instruction == "FROM":
            found.append([])
        found[-1].append((instruction, args))
    return found


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def image_cmd() -> list[str]:
    [cmd] = [json.loads(args) for instruction, args in stages()[-1] if instruction == "CMD"]
    return cmd


def service_command(name: str) -> list[str]:
    return compose()["services"][name].get("command") or image_cmd()


def commands_run() -> list[list[str]]:
    """Every project command the image and the stack run: services, health checks, and the Dockerfile's own."""
    commands = [service_command(name) for name in APP_SERVICES]
    for name in APP_SERVICES:
        test = compose()["services"][name].get("healthcheck", {}).get("test")
        if test and test[0] == "CMD":
            commands.append(test[1:])
        elif test and test[0] == "CMD-SHELL":
            commands.append(shlex.split(test[1]))
    for instruction, args in dockerfile():
        if instruction == "RUN" and "manage.py" in args:
            words = shlex.split(args)
            commands.append(words[words.index("python"):words.index("&&") if "&&" in words else None])
    return commands


def test_the_image_is_built_in_stages_from_slim_python_3_11_and_runs_as_no_root():
    build, runtime = stages()
    assert [s[0][1].split()[0] for s in (build, runtime)] == ["python:3.11-slim", "python:3.11-slim"]
    users = [args for instruction, args in runtime if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the runtime stage must end as a user that is not root"
    assert int(users[-1]) >= 1000


def test_the_image_installs_from_the_lock_file_and_collects_static_files_at_build():
    runs = [args for instruction, args in dockerfile() if instruction == "RUN"]
    install = [run for run in runs if "pip install" in run]
    assert install and all("requirements/production.txt" in run for run in install)
    assert any("manage.py collectstatic --noinput" in run for run in runs)
    assert image_cmd()[:2] == ["gunicorn", "config.wsgi"]


def test_compose_runs_every_process_from_the_one_image_with_postgres_and_redis():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert {services[name]["image"] for name in APP_SERVICES} == {"grjobb:latest"}
    assert all(services[name]["build"] == "." for name in APP_SERVICES)
    for name in ("postgres", "redis", "web", "worker", "worker-hours"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_migrations_run_once_in_a_one_off_service_that_the_others_wait_for():
    services = compose()["services"]
    assert service_command("migrate") == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "worker-hours", "beat"):
        assert "migrate" not in service_command(name)
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_workers_scale_beat_stays_single_and_hours_have_a_worker_of_their_own():
    services = compose()["services"]
    for name in ("worker", "worker-hours", "beat"):
        assert "container_name" not in services[name] and "ports" not in services[name]  # --scale needs neither
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1

    def queues(name):
        cmd = service_command(name)
        return set(cmd[cmd.index("-Q") + 1].split(","))

    assert queues("worker-hours") == {settings.HOURS_QUEUE}
    assert settings.HOURS_QUEUE not in queues("worker")
    assert queues("worker") | queues("worker-hours") == set(selectors.queue_names())


def test_every_variable_compose_needs_and_every_required_secret_is_in_the_env_example():
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    needed = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert needed == {"POSTGRES_PASSWORD"}
    assert needed | {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "TRIPLETEX_CONSUMER_TOKEN", "ALLOWED_HOSTS"} <= example


def check_exists(argv: list[str]) -> None:
    program, *args = argv
    if program in ("pg_isready", "redis-cli"):
        return  # the database's and the broker's own images carry these
    if program == "python":
        if args[0] == "manage.py":
            assert args[1] in get_commands(), f"no management command {args[1]!r}"
        elif args[0] == "-m":
            assert importlib.util.find_spec(args[1]), f"no module {args[1]!r}"
        elif args[0] == "-c":
            compile(args[1], "<healthcheck>", "exec")
        else:
            raise AssertionError(f"unknown python command {argv}")
        return
    assert (Path(sys.executable).parent / program).exists(), f"{program} is not installed from the lock file"
    if program == "gunicorn":
        assert importlib.util.find_spec(args[0].split(":")[0]), f"no WSGI module {args[0]!r}"
    elif program == "celery":
        assert args[:2] == ["-A", "config"] and importlib.util.find_spec("config.celery_app")
        assert args[2] in ("worker", "beat", "inspect")
    else:
        raise AssertionError(f"unknown program {program!r} in {argv}")


@pytest.mark.parametrize("argv", commands_run(), ids=lambda argv: " ".join(argv)[:60])
def test_every_command_the_image_and_the_stack_run_exists_in_the_project(argv):
    check_exists(argv)


# --- the same commands, run here ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The stack's commands as processes, with the production environment of .env plus this test's database."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp_path, self.env, self.procs = tmp_path, env, {}

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.tmp_path / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def json_lines(self, name: str) -> list[dict]:
        return [json.loads(line) for line in self.log(name).splitlines() if line.startswith("{")]

    def wait(self, what: str, predicate, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"{name} exited:\n{self.log(name)[-3000:]}"
            if predicate():
                return
            time.sleep(0.3)
        logs = "\n".join(f"--- {name}\n{self.log(name)[-2000:]}" for name in self.procs)
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def with_queues(argv: list[str], names: dict[str, str]) -> list[str]:
    """The command with this test's own queue names, so no other worker on the broker takes its tasks."""
    return [",".join(names.get(q, q) for q in arg.split(",")) if i and argv[i - 1] == "-Q" else arg
            for i, arg in enumerate(argv)]


@pytest.mark.slow
def test_the_stacks_commands_run_without_docker_on_this_machines_database_and_broker(transactional_db, tmp_path,
                                                                                      settings):
    from api.tasks import prune_idempotency_keys
    from integrations.tasks import push_hours
    from tests.hours.workers import database_url

    suffix = os.urandom(4).hex()
    queues = {name: f"{name}-{suffix}" for name in selectors.queue_names()}
    settings.CELERY_TASK_DEFAULT_QUEUE = queues["default"]
    settings.HOURS_QUEUE = queues["hours"]
    settings.CONNECTORS_QUEUE = queues["connectors"]
    port = free_port()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "TRIPLETEX_CONSUMER_TOKEN": "stack-test-consumer-token",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "GRJOBB_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "CELERY_TASK_DEFAULT_QUEUE": queues["default"],
        "HOURS_QUEUE": queues["hours"],
        "CONNECTORS_QUEUE": queues["connectors"],
        "WEB_CONCURRENCY": "2",
    }
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        env["GRJOBB_VAR_DIR"] = str(settings.VAR_DIR)  # the same broker folders as this process
    stack = Stack(tmp_path, env)
    try:
        collect = [argv for argv in commands_run() if argv[:3] == ["python", "manage.py", "collectstatic"]][0]
        for argv in (collect, service_command("migrate")):
            done = stack.run([sys.executable, *argv[1:]])
            assert done.returncode == 0, done.stdout + done.stderr

        web = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in service_command("web")]
        stack.start("web", web)
        for name in ("worker", "worker-hours"):
            stack.start(name, with_queues(service_command(name), queues))
        stack.start("beat", [*service_command("beat"), "--schedule", str(tmp_path / "beat-schedule")])

        base = f"http://127.0.0.1:{port}"

        def answers(path):
            try:
                return requests.get(base + path, timeout=5).status_code == 200
            except requests.RequestException:
                return False

        stack.wait("the web server", lambda: answers("/healthz"))
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "broker": "ok"}
        login = requests.get(base + "/logg-inn/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert login.status_code == 200 and "Strict-Transport-Security" in login.headers
        assert requests.get(base + "/logg-inn/", allow_redirects=False, timeout=10).status_code == 301  # plain HTTP
        css = requests.get(base + "/static/css/app.css", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert css.status_code == 200 and ".page" in css.text  # collected at "build", served by the web process
        request_line = next(line for line in stack.json_lines("web") if line.get("logger") == "grjobb.request")
        assert request_line["request_id"] and request_line["duration_ms"] >= 0

        for name in ("worker", "worker-hours"):
            stack.wait(f"{name} ready", lambda name=name: " ready." in stack.log(name))
        push_hours.delay(tenant_id=987654321)
        prune_idempotency_keys.delay()

        def ran(name, task):
            return any(line.get("logger") == "grjobb.task" and line.get("task") == task
                       for line in stack.json_lines(name))

        stack.wait("the tasks to run", lambda: ran("worker-hours", "integrations.tasks.push_hours")
                   and ran("worker", "api.tasks.prune_idempotency_keys"))
        assert not ran("worker", "integrations.tasks.push_hours")  # hours go to their own worker only
        assert "beat: Starting" in stack.log("beat") and stack.procs["beat"].poll() is None
    finally:
        stack.stop()
        from config import celery_app

        with celery_app.connection_for_write() as connection:
            for name in queues.values():
                connection.default_channel.queue_purge(name)
