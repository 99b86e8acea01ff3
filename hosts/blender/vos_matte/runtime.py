"""The runtime environment: a separate Python holding the core (torch, OpenCV, vos_core, plugin).

Blender's Python never imports the core; it only starts that Python. Nothing here imports bpy,
so the checks can run from scripts and tests too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: What ``python -m plugin.runtime_check`` must answer within, including importing torch.
CHECK_TIMEOUT_S = 120
INSTALLER = Path(__file__).with_name("runtime") / "runtime_env.py"


def python_in(path: str) -> Path:
    """The interpreter for ``path``: a python executable itself, or a virtual environment folder."""
    place = Path(path).expanduser()
    if place.is_dir():
        for candidate in (place / "bin" / "python", place / "Scripts" / "python.exe"):
            if candidate.exists():
                return candidate
    return place


@dataclass
class RuntimeReport:
    """Whether the runtime can run jobs; ``problems`` are sentences for the user."""

    python: str
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            found = ", ".join(f"{name} {version}" for name, version in self.versions.items())
            return f"Runtime ready ({found})"
        return " ".join(self.problems)


def clean_env() -> dict[str, str]:
    """The environment for every Python this add-on starts.

    Blender's own Python settings are dropped, so the runtime loads its own packages; PYTHONSAFEPATH
    keeps the current folder (and a script's folder) off ``sys.path`` (``-m`` would put it first), so
    a ``plugin/`` package planted in a shared folder can never run as the user.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP")}
    return {**env, "PYTHONSAFEPATH": "1"}


def run_isolated(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end (output captured as text) with :func:`clean_env`, no stdin, and a
    fresh empty folder of its own as the current folder, removed afterwards.

    Not a shared folder such as the temp folder: a runtime older than Python 3.11 ignores
    PYTHONSAFEPATH, so a ``plugin/`` or ``hosts/`` planted there would shadow the runtime's own,
    and a relative path would name whatever lies there.
    """
    with tempfile.TemporaryDirectory(prefix="vos_matte_run_") as private:
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout,
                              env=clean_env(), stdin=subprocess.DEVNULL, cwd=private)


def check_runtime(path: str, weights: str | None = None) -> RuntimeReport:
    """Ask the runtime's Python what it is missing (``python -m plugin.runtime_check``)."""
    if not path.strip():
        return RuntimeReport(path, ["No runtime is set: choose its folder in the add-on preferences, or press Install runtime."])
    python = python_in(path)
    report = RuntimeReport(str(python))
    if not python.exists():
        report.problems.append(f"There is no Python at {python}. Choose the runtime folder, or press Install runtime.")
        return report
    command = [str(python), "-m", "plugin.runtime_check", *(["--weights", weights] if weights else [])]
    try:
        proc = run_isolated(command, CHECK_TIMEOUT_S)
    except OSError as exc:
        report.problems.append(f"{python} cannot be started ({exc.strerror}).")
        return report
    except subprocess.TimeoutExpired:
        report.problems.append(f"{python} did not answer within {CHECK_TIMEOUT_S} s.")
        return report
    if "No module named 'plugin'" in proc.stderr:
        report.problems.append(f"The vos-matte core is not installed in {python}; press Install runtime.")
        return report
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = proc.stderr.strip().splitlines()[-1:] or ["no answer"]
        report.problems.append(f"{python} failed the check: {tail[0]}")
        return report
    report.problems.extend(answer["problems"])
    report.versions.update(answer["versions"])
    return report


def install_command(target: str, cuda: bool = False) -> list[str]:
    """The command line that creates a runtime in ``target`` with the installer shipped in this extension."""
    wheels = sorted(INSTALLER.parent.glob("vos_matte-*.whl"))
    command = [sys.executable, str(INSTALLER), "--target", os.path.abspath(target)]
    if wheels:
        command += ["--core", str(wheels[-1])]
    if cuda:
        command.append("--cuda")
    return command
