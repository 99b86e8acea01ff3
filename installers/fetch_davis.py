"""Fetch DAVIS-2016 for the tests and the evaluation commands: the official release, checksum verified.

    python3 installers/fetch_davis.py [--dest DIR] [--sha256 HEX] [--zip FILE] [--url URL] [--keep-zip]

Downloads the official DAVIS-2016 release (``DAVIS-data.zip``, about 1.9 GB, from ETH Zurich), checks its
SHA-256 while it streams, and unpacks the 480p frames, masks and split lists into ``DIR/davis2016`` (default
``$XDG_CACHE_HOME/vos-matte/shared``, else ``~/.cache/vos-matte/shared``), the layout the tests read
from ``../shared``:

- ``davis2016/JPEGImages/480p/<seq>/NNNNN.jpg`` and ``davis2016/Annotations/480p/<seq>/NNNNN.png``, all 50
  sequences, byte-identical to the release (the 1080p copy in the zip is not unpacked);
- ``davis2016/ImageSets/train.txt`` and ``val.txt``: the official splits, one sequence name a line;
- ``davis2016/ImageSets/dev.txt``: the 10 validation sequences used for tuning and tests (``DEV``).

The tests find that folder by themselves; to use another, ``export VOS_SHARED_DIR=DIR``. Standard library
only, any Python >= 3.9. Nothing is left behind on failure: the download goes to a ``.part`` file and the
unpacking to a temporary folder beside the destination, both removed unless everything checked out;
an existing ``davis2016`` is replaced only when it is one this script wrote (it holds ``FETCHED``).
``--zip FILE`` unpacks a copy downloaded before (verified the same way). Terms of the release: annotations
BSD; images for research / non-commercial use (CC BY-NC 4.0).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

URL = "https://graphics.ethz.ch/Downloads/Data/Davis/DAVIS-data.zip"
#: SHA-256 of the official DAVIS-data.zip. NOT VERIFIED HERE: this was written on a machine without access
#: to the download, and no SHA-256 of the release is published by its authors. It stays None until someone
#: records the value after a download they trust (the script prints it); until then pass ``--sha256 HEX``
#: (or ``--sha256 print`` to unpack and print the checksum of what was downloaded, trusting the HTTPS source).
SHA256: str | None = None
#: The 10 of the 20 validation sequences that tests and tuning use (the other 10 are kept for reporting).
DEV = ("blackswan", "bmx-trees", "breakdance", "camel", "car-roundabout", "cows", "dog", "kite-surf", "libby",
       "scooter-black")
TOP = "DAVIS"  # the zip's top folder
KEEP = ("JPEGImages/480p/", "Annotations/480p/")
SPLITS = {"ImageSets/480p/train.txt": "train", "ImageSets/480p/val.txt": "val"}
MARKER = "FETCHED"
CHUNK = 1 << 20


class FetchError(Exception):
    """A failure said in one sentence (exit status 1)."""


def default_dest() -> Path:
    """``$XDG_CACHE_HOME/vos-matte/shared``, else ``~/.cache/vos-matte/shared`` (the tests look there too)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vos-matte" / "shared"


def download(url: str, target: Path, progress: Callable[[int, int | None], None] | None = None) -> str:
    """Stream ``url`` into ``target``; return the SHA-256 of the bytes written."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except OSError as exc:  # URLError, HTTPError and socket errors are all OSErrors
        raise FetchError(f"cannot download {url}: {exc}") from None
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path below ``DAVIS/`` if it is one we keep, else None; unsafe names are an error."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise FetchError(f"the archive holds an unsafe path {name!r}; not unpacking it")
    if not path.parts or path.parts[0] != TOP:
        return None
    inner = PurePosixPath(*path.parts[1:]) if len(path.parts) > 1 else None
    if inner is None:
        return None
    text = inner.as_posix()
    if text in SPLITS or any(text.startswith(prefix) for prefix in KEEP):
        return inner
    return None


def _split_names(text: str) -> list[str]:
    """Sequence names of an official split list ("/JPEGImages/480p/<seq>/00000.jpg ..." lines, or names)."""
    names = []
    for line in text.splitlines():
        parts = line.split()
        if parts:
            path = PurePosixPath(parts[0])
            names.append(path.parent.name if path.suffix else path.name)
    return list(dict.fromkeys(names))


def unpack(archive: Path, target: Path) -> None:
    """Unpack the kept members of ``archive`` into ``target`` (a new folder) in the tests' layout."""
    try:
        zf = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FetchError(f"{archive} is not a readable zip: {exc}") from None
    splits: dict[str, list[str]] = {}
    with zf:
        for info in zf.infolist():
            inner = _member_path(info.filename)
            if inner is None or info.is_dir():
                continue
            if inner.as_posix() in SPLITS:
                splits[SPLITS[inner.as_posix()]] = _split_names(zf.read(info).decode("utf-8", "replace"))
                continue
            out = target.joinpath(*inner.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
    for split in ("train", "val"):
        if not splits.get(split):
            raise FetchError(f"{archive} has no {TOP}/ImageSets/480p/{split}.txt: not the DAVIS-2016 release")
    missing = [s for s in DEV if s not in splits["val"]
               or not (target / "JPEGImages/480p" / s).is_dir() or not (target / "Annotations/480p" / s).is_dir()]
    if missing:
        raise FetchError(f"{archive} lacks the validation sequences {', '.join(missing)}: not the DAVIS-2016 release")
    sets = target / "ImageSets"
    sets.mkdir(parents=True, exist_ok=True)
    for split, names in (*splits.items(), ("dev", list(DEV))):
        (sets / f"{split}.txt").write_text("".join(f"{n}\n" for n in names))


def fetch(dest: Path, url: str = URL, sha256: str | None = SHA256, archive: Path | None = None,
          keep_zip: bool = False, log: Callable[[str], None] = print) -> Path:
    """Download (or take ``archive``), verify, unpack into ``dest/davis2016``; return that folder.

    ``sha256`` is the expected checksum, or ``"print"`` to accept the download and print its checksum.
    """
    if sha256 is None:
        raise FetchError("no SHA-256 of the DAVIS-2016 zip is recorded in this script yet: pass --sha256 HEX "
                         "(from a copy you trust), or --sha256 print to accept the download and print its checksum")
    expected = sha256.strip().lower()
    if expected != "print" and (len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected)):
        raise FetchError(f"--sha256 must be 64 hex digits (or 'print'), not {sha256!r}")
    dest = Path(dest).expanduser().resolve()
    final = dest / "davis2016"
    if final.exists() and not (final / MARKER).is_file():
        raise FetchError(f"{final} exists and was not written by this script; remove it or choose --dest")
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    part = None
    work = Path(tempfile.mkdtemp(prefix=".davis2016.partial-", dir=dest))
    done = False
    try:
        if archive is None:
            part = dest / f".DAVIS-data.zip.{os.getpid()}.part"
            log(f"downloading {url} ...")
            actual = download(url, part, _progress if log is print else None)
            archive_path = part
        else:
            archive_path = Path(archive)
            if not archive_path.is_file():
                raise FetchError(f"zip not found: {archive_path}")
            actual = file_sha256(archive_path)
        if expected == "print":
            log(f"SHA-256 of {archive_path.name}: {actual} (not compared: --sha256 print)")
        elif actual != expected:
            raise FetchError(f"checksum mismatch for {url if archive is None else archive_path}: SHA-256 {actual}, "
                             f"expected {expected}; nothing was kept")
        try:
            unpack(archive_path, work)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:  # a damaged member, a full disk
            raise FetchError(f"cannot unpack {archive_path} into {dest}: {exc}; nothing was kept") from None
        (work / MARKER).write_text(f"source: {url if archive is None else archive_path}\nsha256: {actual}\n")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        if part is not None and keep_zip:
            part.rename(dest / "DAVIS-data.zip")
        done = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if part is not None and part.exists():
            part.unlink()
        if created and not done and not any(dest.iterdir()):
            dest.rmdir()  # a folder this run made and left empty
    log(f"DAVIS-2016 is in {final}" + ("" if dest == default_dest().resolve()
                                        else f"; for the tests: export VOS_SHARED_DIR={dest}"))
    return final


def _progress(done: int, total: int | None) -> None:
    if done % (64 * CHUNK) < CHUNK or done == total:
        size = f"{done >> 20} MB" + (f" of {total >> 20} MB" if total else "")
        print(f"\r  {size}", end="\n" if done == total else "", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=default_dest(),
                        help="folder to hold davis2016/ (default %(default)s); point VOS_SHARED_DIR at it")
    parser.add_argument("--url", default=URL, help="where to download the release zip (default %(default)s)")
    parser.add_argument("--sha256", default=SHA256,
                        help="expected SHA-256 of the zip (default: the one recorded in this script), "
                             "or 'print' to accept the download and print its checksum")
    parser.add_argument("--zip", type=Path, help="unpack this already-downloaded zip instead of downloading")
    parser.add_argument("--keep-zip", action="store_true", help="keep the downloaded zip as DEST/DAVIS-data.zip")
    args = parser.parse_args(argv)
    try:
        fetch(args.dest, args.url, args.sha256, args.zip, args.keep_zip)
    except FetchError as exc:
        print(f"fetch_davis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch_davis: interrupted; nothing was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
