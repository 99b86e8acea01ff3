"""installers/fetch_davis.py against a local HTTP server (127.0.0.1 only) serving a small release-shaped zip,
and what the tests do when DAVIS is absent (skip naming the fetch command; fail under CI)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import shared_data
from shared_data import FETCH_COMMAND, fetch_davis, require_davis

from vos_core.eval.davis import load_sequence, split_names

TRAIN = ("bear",)


def _png(value: int) -> bytes:
    return cv2.imencode(".png", np.full((6, 8), value, np.uint8))[1].tobytes()


def _jpg(value: int) -> bytes:
    return cv2.imencode(".jpg", np.full((6, 8, 3), value, np.uint8))[1].tobytes()


def release_zip(path: Path, extra: dict[str, bytes] | None = None) -> str:
    """A small zip in the official DAVIS-data.zip layout (480p and 1080p, official split lists); its SHA-256."""
    seqs = (*TRAIN, *fetch_davis.DEV)
    with zipfile.ZipFile(path, "w") as zf:
        for i, seq in enumerate(seqs):
            for frame in range(2):
                for res in ("480p", "1080p"):
                    zf.writestr(f"DAVIS/JPEGImages/{res}/{seq}/{frame:05d}.jpg", _jpg(10 * i + frame))
                    zf.writestr(f"DAVIS/Annotations/{res}/{seq}/{frame:05d}.png", _png(255 * frame))
        for split, names in (("train", TRAIN), ("val", (*fetch_davis.DEV, "goat"))):
            zf.writestr(f"DAVIS/ImageSets/480p/{split}.txt", "".join(
                f"/JPEGImages/480p/{n}/{f:05d}.jpg /Annotations/480p/{n}/{f:05d}.png\n" for n in names for f in (0, 1)))
        zf.writestr("DAVIS/README.md", "release notes\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path):
    """(base URL, list of requested paths) of an HTTP server on the loopback serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests, www
    httpd.shutdown()
    httpd.server_close()


def test_fetch_verifies_and_unpacks_the_480p_release_where_the_tests_look(server, tmp_path, monkeypatch):
    base, requests, www = server
    good = release_zip(www / "DAVIS-data.zip")
    monkeypatch.delenv("VOS_SHARED_DIR", raising=False)
    monkeypatch.delenv("CI", raising=False)  # a user's clone: absent data is a skip (CI's failure: a test below)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(shared_data, "REPO", tmp_path / "clone")  # a clone with no ../shared beside it
    dest = fetch_davis.default_dest()
    assert dest == tmp_path / "cache" / "vos-matte" / "shared"
    with pytest.raises(pytest.skip.Exception):
        require_davis()
    assert fetch_davis.main(["--url", f"{base}/DAVIS-data.zip", "--sha256", good.upper()]) == 0
    assert requests == ["/DAVIS-data.zip"]
    davis = dest / "davis2016"
    assert shared_data.shared_dir() == dest and require_davis() == davis  # the tests now find it by themselves
    assert split_names(davis, "dev") == list(fetch_davis.DEV)
    assert split_names(davis, "train") == list(TRAIN)
    assert split_names(davis, "val") == [*fetch_davis.DEV, "goat"]
    seq = load_sequence(davis, "blackswan")
    assert [p.name for p in seq.frames.paths] == ["00000.jpg", "00001.jpg"]
    (frame, mask), _ = list(seq.pairs())
    assert (davis / "JPEGImages/480p/blackswan/00000.jpg").read_bytes() == _jpg(10)  # byte-identical
    assert frame.shape == (6, 8, 3) and mask.shape == (6, 8)
    # Only the 480p frames, masks and the lists, in the layout of ../shared; nothing else left in the cache.
    assert sorted(p.name for p in davis.iterdir()) == ["Annotations", "FETCHED", "ImageSets", "JPEGImages"]
    assert [p.name for p in (davis / "JPEGImages").iterdir()] == ["480p"]
    assert sorted(p.name for p in dest.iterdir()) == ["davis2016"]
    assert good in (davis / "FETCHED").read_text()


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    base, requests, www = server
    release_zip(www / "DAVIS-data.zip")
    dest = tmp_path / "new" / "shared"
    wrong = "0" * 64
    run = subprocess.run([sys.executable, str(shared_data.FETCHER), "--url", f"{base}/DAVIS-data.zip",
                          "--sha256", wrong, "--dest", str(dest)],
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "checksum mismatch" in run.stderr and wrong in run.stderr and "Traceback" not in run.stderr
    assert requests == ["/DAVIS-data.zip"]
    assert not dest.exists()  # no partial download, no half-unpacked folder, not even the folder it made


def test_a_failed_refetch_leaves_the_earlier_copy(server, tmp_path):
    base, _, www = server
    good = release_zip(www / "DAVIS-data.zip")
    dest = tmp_path / "shared"
    fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", good, log=lambda _: None)
    before = sorted(p.relative_to(dest) for p in dest.rglob("*"))
    with pytest.raises(fetch_davis.FetchError, match="checksum mismatch"):
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", "f" * 64, log=lambda _: None)
    assert sorted(p.relative_to(dest) for p in dest.rglob("*")) == before
    (dest / "davis2016" / "FETCHED").unlink()  # not ours any more: never replaced
    with pytest.raises(fetch_davis.FetchError, match="not written by this script"):
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", good, log=lambda _: None)


def test_unsafe_or_foreign_archives_are_refused(server, tmp_path):
    base, _, www = server
    evil = release_zip(www / "evil.zip", {"DAVIS/JPEGImages/480p/../../../escaped.txt": b"x"})
    with zipfile.ZipFile(www / "other.zip", "w") as zf:
        zf.writestr("DAVIS/JPEGImages/480p/a/00000.jpg", b"x")
    other = hashlib.sha256((www / "other.zip").read_bytes()).hexdigest()
    dest = tmp_path / "shared"
    with pytest.raises(fetch_davis.FetchError, match="unsafe path"):
        fetch_davis.fetch(dest, f"{base}/evil.zip", evil, log=lambda _: None)
    with pytest.raises(fetch_davis.FetchError, match="not the DAVIS-2016 release"):
        fetch_davis.fetch(dest, f"{base}/other.zip", other, log=lambda _: None)
    assert not dest.exists() and not list(tmp_path.rglob("escaped.txt"))


def test_without_a_checksum_nothing_is_downloaded(server, tmp_path):
    base, requests, www = server
    release_zip(www / "DAVIS-data.zip")
    with pytest.raises(fetch_davis.FetchError, match="--sha256"):
        fetch_davis.fetch(tmp_path / "shared", f"{base}/DAVIS-data.zip", None, log=lambda _: None)
    assert requests == [] and not (tmp_path / "shared").exists()
    # A zip downloaded before is verified the same way.
    dest = tmp_path / "offline"
    good = hashlib.sha256((www / "DAVIS-data.zip").read_bytes()).hexdigest()
    assert fetch_davis.main(["--zip", str(www / "DAVIS-data.zip"), "--sha256", good, "--dest", str(dest)]) == 0
    assert (dest / "davis2016" / "ImageSets" / "dev.txt").is_file()


def test_absent_davis_skips_naming_the_fetch_command_and_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_davis(tmp_path)
    assert FETCH_COMMAND in str(skipped.value) and str(tmp_path / "davis2016") in str(skipped.value)
    assert FETCH_COMMAND.startswith("python3 installers/fetch_davis.py")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_davis(tmp_path)
