"""Dependencies are declared once, in pyproject.toml, and the two lock files compiled from it still match it."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            found[_name(match[1])] = match[2]
    return found


def _lock(name: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Pins of a uv-compiled file, and for each package the names after its `# via`."""
    pins, via, current = {}, {}, None
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = _name(match[1])
            pins[current], via[current] = match[2], []
        elif current and line.startswith("    #") and "via" not in line:
            via[current].append(line.strip("# ").strip())
        elif current and line.startswith("    # via "):
            via[current].append(line.split("# via ", 1)[1].strip())
    return pins, via


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_dependency_in_pyproject_is_pinned_at_its_version_in_both_lock_files():
    declared = _pins(_project()["project"]["dependencies"])
    assert declared, "pyproject.toml declares no dependencies"
    for name in ("lock.txt", "production.txt"):
        pins, _ = _lock(name)
        assert {n: pins.get(n) for n in declared} == declared, f"requirements/{name} is out of date: recompile it"


def test_every_dev_tool_is_pinned_in_the_lock_and_the_image_takes_only_those_production_needs():
    dev = _pins(_project()["dependency-groups"]["dev"])
    lock, _ = _lock("lock.txt")
    production, via = _lock("production.txt")
    assert dev and {n: lock.get(n) for n in dev} == dev
    declared = set(_pins(_project()["project"]["dependencies"]))
    for name in set(dev) & set(production) - declared:
        needed_by = [v for v in via[name] if not v.startswith(("-c ", "grjobb-tripletex"))]
        assert needed_by, f"{name} is a dev tool no production package needs, but the image would install it"
    assert "pytest" not in production


def test_the_image_installs_exactly_the_versions_the_development_lock_pins():
    lock, _ = _lock("lock.txt")
    production, _ = _lock("production.txt")
    assert production and {n: lock.get(n) for n in production} == production
