"""Pythons started by the add-on and the installers never import code from a shared or current folder.

``python -m plugin.X`` puts the current folder first on sys.path: a ``plugin/`` package planted in
/tmp (or wherever Blender was started) would run as the user. No Blender needed: the add-on's
runtime.py and installers/runtime_env.py import no bpy.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import venv
from pathlib import Path

import pytest
from releases import ROOT


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


runtime = _load("vos_matte_runtime", ROOT / "hosts" / "blender" / "vos_matte" / "runtime.py")
runtime_env = _load("vos_matte_runtime_env", ROOT / "installers" / "runtime_env.py")


@pytest.fixture()
def planted(tmp_path, monkeypatch) -> Path:
    """A shared temp folder (also the current folder) holding a ``plugin`` package that leaves a marker if run."""
    shared = tmp_path / "shared-tmp"
    (shared / "plugin").mkdir(parents=True)
    (shared / "plugin" / "__init__.py").write_text("")
    marker = tmp_path / "planted-code-ran"
    (shared / "plugin" / "runtime_check.py").write_text(
        f"import json; open({str(marker)!r}, 'w').close(); print(json.dumps({{'problems': [], 'versions': {{}}}}))\n")
    monkeypatch.setattr(tempfile, "tempdir", str(shared))  # what tempfile.gettempdir() answers
    monkeypatch.chdir(shared)
    return marker


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A runtime without the core (a fresh venv, no pip): the check must say so."""
    target = tmp_path_factory.mktemp("bare-runtime")
    venv.create(target, with_pip=False)
    return target / "bin" / "python"


def test_runtime_check_ignores_a_plugin_planted_in_the_temp_folder(planted, bare_python):
    report = runtime.check_runtime(str(bare_python))
    assert not planted.exists(), "the runtime check ran code planted in the shared temp folder"
    assert not report.ok and "core is not installed" in report.summary()


def test_installer_check_ignores_a_plugin_in_the_current_folder(planted, bare_python):
    assert runtime_env.check(bare_python) != 0
    assert not planted.exists(), "the installer's runtime check ran code from the current folder"


def test_workers_and_installs_get_a_safe_path_and_not_blenders_python_settings(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/blender/python")
    env = runtime.clean_env()
    assert env["PYTHONSAFEPATH"] == "1" and "PYTHONPATH" not in env


def test_core_commands_run_in_a_fresh_empty_folder_not_the_temp_folder(planted, tmp_path):
    """core_cli's ``-m hosts.ffmpeg.cli`` (and the runtime check) run via run_isolated: nothing planted
    in the shared temp folder is importable from their current folder, and no relative path names it."""
    seen = tmp_path / "seen.txt"
    stub = tmp_path / "python"
    stub.write_text(f'#!/bin/sh\npwd > {seen}\nls -A >> {seen}\n')
    stub.chmod(0o755)
    proc = runtime.run_isolated([str(stub), "-m", "hosts.ffmpeg.cli"], timeout=10)
    assert proc.returncode == 0, proc.stderr
    cwd, *held = seen.read_text().splitlines()
    assert Path(cwd) != Path(tempfile.gettempdir()) and not held, f"ran in {cwd}, holding {held}"
    assert not Path(cwd).exists(), "its folder was left behind"
