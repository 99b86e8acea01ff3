"""installers/fetch_davis.py against a local HTTP server (127.0.0.1 only) serving a small release-shaped zip,
its content digest (the fake release has its own; the pinned one is checked against the real shared data),
and what the tests do when DAVIS is absent (skip naming the fetch command; fail under CI)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
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


def release_tree(root: Path) -> Path:
    """A small release in the official DAVIS-data.zip layout (480p and 1080p, official split lists) under
    ``root/DAVIS``; that folder (its 480p part is laid out as davis2016, so ``content_sha256`` reads it)."""
    top = root / "DAVIS"
    files = {"README.md": b"release notes\n"}
    for i, seq in enumerate((*TRAIN, *fetch_davis.DEV)):
        for frame in range(2):
            for res in ("480p", "1080p"):
                files[f"JPEGImages/{res}/{seq}/{frame:05d}.jpg"] = _jpg(10 * i + frame)
                files[f"Annotations/{res}/{seq}/{frame:05d}.png"] = _png(255 * frame)
    for split, names in (("train", TRAIN), ("val", (*fetch_davis.DEV, "goat"))):
        files[f"ImageSets/480p/{split}.txt"] = "".join(
            f"/JPEGImages/480p/{n}/{f:05d}.jpg /Annotations/480p/{n}/{f:05d}.png\n"
            for n in names for f in (0, 1)).encode()
    for name, data in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_bytes(data)
    return top


def zip_tree(top: Path, path: Path, extra: dict[str, bytes] | None = None) -> str:
    """Zip the folder ``top`` as ``DAVIS/...`` members (plus ``extra`` members) into ``path``; its SHA-256."""
    with zipfile.ZipFile(path, "w") as zf:
        for file in sorted(top.rglob("*")):
            if file.is_file():
                zf.write(file, f"{top.name}/{file.relative_to(top).as_posix()}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_zip(path: Path, extra: dict[str, bytes] | None = None) -> str:
    """``release_tree`` built in ``<path>.src`` and zipped into ``path``; the zip's SHA-256."""
    return zip_tree(release_tree(path.with_suffix(".src")), path, extra)


def release_content(path: Path) -> str:
    """The content digest of the dev sequences of the fake release ``release_zip(path)`` wrote."""
    return fetch_davis.content_sha256(path.with_suffix(".src") / "DAVIS")


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
    content = release_content(www / "DAVIS-data.zip")
    assert content != fetch_davis.DEV_CONTENT_SHA256  # the fake release's own: pinned for this test only
    monkeypatch.setattr(fetch_davis, "DEV_CONTENT_SHA256", content)
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
    assert good in (davis / "FETCHED").read_text() and f"content-sha256: {content}" in (davis / "FETCHED").read_text()
    assert fetch_davis.content_sha256(davis) == content


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
    content = release_content(www / "DAVIS-data.zip")
    dest = tmp_path / "shared"
    fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", good, log=lambda _: None, content_digest=content)
    before = sorted(p.relative_to(dest) for p in dest.rglob("*"))
    with pytest.raises(fetch_davis.FetchError, match="checksum mismatch"):
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", "f" * 64, log=lambda _: None, content_digest=content)
    with pytest.raises(fetch_davis.FetchError, match="differ from the DAVIS-2016 release"):
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", None, log=lambda _: None)  # the pinned content
    assert sorted(p.relative_to(dest) for p in dest.rglob("*")) == before
    (dest / "davis2016" / "FETCHED").unlink()  # not ours any more: never replaced
    with pytest.raises(fetch_davis.FetchError, match="not written by this script"):
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", good, log=lambda _: None, content_digest=content)


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


def test_a_release_with_one_changed_byte_is_refused_by_the_content_check(server, tmp_path):
    base, requests, www = server
    top = release_tree(tmp_path / "release")
    content = fetch_davis.content_sha256(top)
    frame = top / "JPEGImages/480p/camel/00001.jpg"
    data = bytearray(frame.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of one byte of one dev frame
    frame.write_bytes(bytes(data))
    zip_sha = zip_tree(top, www / "DAVIS-data.zip")
    dest = tmp_path / "shared"
    (dest / "weights").mkdir(parents=True)  # a destination in use: what was there stays, nothing else appears
    messages: list[str] = []
    with pytest.raises(fetch_davis.FetchError) as refused:
        # The zip's own checksum matches (it is this zip's), so only the content check can refuse it.
        fetch_davis.fetch(dest, f"{base}/DAVIS-data.zip", zip_sha, log=messages.append, content_digest=content)
    bad = fetch_davis.content_sha256(top)
    assert str(refused.value) == (f"the unpacked dev sequences differ from the DAVIS-2016 release (content SHA-256 "
                                  f"{bad}, expected {content}); nothing was kept")
    assert requests == ["/DAVIS-data.zip"]
    assert [p.name for p in dest.iterdir()] == ["weights"]  # no davis2016, no partial folder, no .part file
    assert not any(m.startswith("DAVIS-2016 is in") for m in messages)


def test_without_a_zip_checksum_a_download_with_the_right_content_is_accepted(server, tmp_path, monkeypatch, capsys):
    base, requests, www = server
    good = release_zip(www / "DAVIS-data.zip")
    monkeypatch.setattr(fetch_davis, "DEV_CONTENT_SHA256", release_content(www / "DAVIS-data.zip"))
    dest = tmp_path / "shared"
    assert fetch_davis.main(["--url", f"{base}/DAVIS-data.zip", "--dest", str(dest)]) == 0
    assert requests == ["/DAVIS-data.zip"]
    assert "SHA-256 of " in capsys.readouterr().out and good in (dest / "davis2016" / "FETCHED").read_text()
    assert (dest / "davis2016" / "ImageSets" / "dev.txt").is_file()
    # A zip downloaded before is verified the same way, and replaces the copy this script wrote.
    offline = tmp_path / "offline"
    assert fetch_davis.main(["--zip", str(www / "DAVIS-data.zip"), "--dest", str(offline)]) == 0
    assert good in capsys.readouterr().out and (offline / "davis2016" / "ImageSets" / "dev.txt").is_file()
    monkeypatch.setattr(fetch_davis, "DEV_CONTENT_SHA256", "0" * 64)
    assert fetch_davis.main(["--zip", str(www / "DAVIS-data.zip"), "--dest", str(offline)]) == 1
    assert "differ from the DAVIS-2016 release" in capsys.readouterr().err


def test_the_content_digest_is_the_documented_one(tmp_path, capsys):
    top = release_tree(tmp_path / "release")
    (top / "JPEGImages/480p/blackswan/notes.txt").write_text("any file counts\n")
    # Written out from the docstring's definition; 1080p, other sequences and the lists are not covered.
    lines = sorted(f"{p.relative_to(top).as_posix()}\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n"
                   for seq in fetch_davis.DEV for kind in ("JPEGImages", "Annotations")
                   for p in (top / kind / "480p" / seq).iterdir())
    assert len(lines) == 41 and lines[0].startswith("Annotations/480p/blackswan/00000.png\0")
    expected = hashlib.sha256("".join(lines).encode()).hexdigest()
    assert fetch_davis.content_sha256(top) == expected
    assert fetch_davis.main(["--content-digest", str(top)]) == 0
    assert capsys.readouterr().out == f"{expected}\n"
    (top / "Annotations/480p/bear/00000.png").write_bytes(b"not a dev sequence")
    (top / "JPEGImages/1080p/camel/00000.jpg").write_bytes(b"not 480p")
    assert fetch_davis.content_sha256(top) == expected
    (top / "JPEGImages/480p/blackswan/00001.jpg").rename(top / "JPEGImages/480p/blackswan/00002.jpg")
    assert fetch_davis.content_sha256(top) != expected  # names count, not only bytes
    shutil.rmtree(top / "Annotations/480p/libby")
    with pytest.raises(fetch_davis.FetchError, match="libby is not a folder"):
        fetch_davis.content_sha256(top)
    assert fetch_davis.main(["--content-digest", str(top)]) == 1


def test_the_pinned_content_digest_is_that_of_the_shared_dev_sequences():
    """The shared data's dev sequences are byte-identical to the release's: their digest is the pinned one."""
    davis = require_davis()  # ../shared/davis2016 (or VOS_SHARED_DIR's); skipped when absent, failed under CI
    assert fetch_davis.content_sha256(davis) == fetch_davis.DEV_CONTENT_SHA256


def test_absent_davis_skips_naming_the_fetch_command_and_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_davis(tmp_path)
    assert FETCH_COMMAND in str(skipped.value) and str(tmp_path / "davis2016") in str(skipped.value)
    assert FETCH_COMMAND.startswith("python3 installers/fetch_davis.py")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_davis(tmp_path)
