"""Fetch DAVIS-2016 for the tests and the evaluation commands: the official release, content verified.

    python3 installers/fetch_davis.py [--dest DIR] [--sha256 HEX] [--zip FILE] [--url URL] [--keep-zip]
    python3 installers/fetch_davis.py --content-digest DIR    # print content_sha256() of a davis2016 folder

Downloads the official DAVIS-2016 release (``DAVIS-data.zip``, about 1.9 GB, from ETH Zurich) and unpacks the
480p frames, masks and split lists into ``DIR/davis2016`` (default ``$XDG_CACHE_HOME/vos-matte/shared``, else
``~/.cache/vos-matte/shared``), the layout the tests read from ``../shared``:

- ``davis2016/JPEGImages/480p/<seq>/NNNNN.jpg`` and ``davis2016/Annotations/480p/<seq>/NNNNN.png``, all 50
  sequences, byte-identical to the release (the 1080p copy in the zip is not unpacked);
- ``davis2016/ImageSets/train.txt`` and ``val.txt``: the official splits, one sequence name a line;
- ``davis2016/ImageSets/dev.txt``: the 10 validation sequences used for tuning and tests (``DEV``).

What is verified: the unpacked frames and masks of the 10 dev sequences must have the content digest
``DEV_CONTENT_SHA256`` (see ``content_sha256``), recorded from byte-identical copies of them; a release whose
dev sequences differ by one byte is refused. The zip's own SHA-256 is not published, so it is printed (and
recorded in ``DIR/davis2016/FETCHED``) rather than compared, unless ``--sha256 HEX`` gives one to compare
before unpacking. The other 40 sequences are not covered by the digest: no trusted copy of them was at hand.

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
#: Optional SHA-256 of the official DAVIS-data.zip, compared before unpacking when set. None: its authors
#: publish none and this was written without access to the download, so the zip's checksum is only printed;
#: what is verified is the unpacked content (``DEV_CONTENT_SHA256``). ``--sha256 HEX`` compares one.
SHA256: str | None = None
#: The 10 of the 20 validation sequences that tests and tuning use (the other 10 are kept for reporting).
DEV = ("blackswan", "bmx-trees", "breakdance", "camel", "car-roundabout", "cows", "dog", "kite-surf", "libby",
       "scooter-black")
#: ``content_sha256()`` of the DEV sequences of the release. Obtained from the byte-identical copies of their
#: 480p frames and masks in the project's shared data (``../shared/davis2016``: 685 frames, each with its
#: mask, 1370 files); ``python3 installers/fetch_davis.py --content-digest ../shared/davis2016`` recomputes it.
DEV_CONTENT_SHA256 = "713e4f3d4616b70a25e4f092d4c9f30a802494d759d9f1907a10e5e476f354eb"
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


def content_sha256(root: Path, sequences: tuple[str, ...] = DEV) -> str:
    """The content digest of ``sequences`` in the davis2016 folder ``root`` (hex SHA-256).

    Exactly: take every regular file below ``root/JPEGImages/480p/<seq>/`` and ``root/Annotations/480p/<seq>/``
    for each ``seq`` of ``sequences`` (at any depth, whatever its name); for each, the line
    ``f"{relpath}\\0{sha256_of_file}\\n"``, where ``relpath`` is its path relative to ``root`` in POSIX form
    (e.g. ``JPEGImages/480p/blackswan/00000.jpg``) and ``sha256_of_file`` the lowercase hex SHA-256 of its
    bytes; sort the lines by ``relpath`` (Python string order, i.e. by code point); the result is the lowercase
    hex SHA-256 of their concatenation, encoded as UTF-8. Names are hashed too, so a missing, extra or renamed
    frame changes it as a changed byte does. A sequence folder that is absent is an error (FetchError), since
    an empty folder's digest would say nothing.
    """
    root = Path(root)
    files: dict[str, Path] = {}
    for seq in sequences:
        for kind in ("JPEGImages", "Annotations"):
            folder = root / kind / "480p" / seq
            if not folder.is_dir():
                raise FetchError(f"{folder} is not a folder: no content digest of {root}")
            for path in folder.rglob("*"):
                if path.is_file():
                    files[path.relative_to(root).as_posix()] = path
    digest = hashlib.sha256()
    for relpath in sorted(files):
        digest.update(f"{relpath}\0{file_sha256(files[relpath])}\n".encode())
    return digest.hexdigest()


def _hex64(value: str, option: str) -> str:
    """``value`` as 64 lowercase hex digits, else a FetchError naming ``option``."""
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise FetchError(f"{option} must be 64 hex digits, not {value!r}")
    return text


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


def _check_content(work: Path, expected: str) -> str:
    """The content digest of the dev sequences unpacked in ``work``; a FetchError unless it is ``expected``."""
    actual = content_sha256(work)
    if actual != expected:
        raise FetchError(f"the unpacked dev sequences differ from the DAVIS-2016 release (content SHA-256 {actual}, "
                         f"expected {expected}); nothing was kept")
    return actual


def fetch(dest: Path, url: str = URL, sha256: str | None = SHA256, archive: Path | None = None,
          keep_zip: bool = False, log: Callable[[str], None] = print,
          content_digest: str = DEV_CONTENT_SHA256) -> Path:
    """Download (or take ``archive``), verify, unpack into ``dest/davis2016``; return that folder.

    ``sha256`` is the zip's expected checksum, compared before unpacking; None prints it instead.
    ``content_digest`` is the expected :func:`content_sha256` of the unpacked dev sequences, always compared
    before anything is moved into place.
    """
    expected = None if sha256 is None else _hex64(sha256, "--sha256")
    expected_content = _hex64(content_digest, "the content SHA-256")
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
        if expected is None:
            log(f"SHA-256 of {archive_path.name}: {actual} (not compared: none given; the content is verified)")
        elif actual != expected:
            raise FetchError(f"checksum mismatch for {url if archive is None else archive_path}: SHA-256 {actual}, "
                             f"expected {expected}; nothing was kept")
        try:
            unpack(archive_path, work)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:  # a damaged member, a full disk
            raise FetchError(f"cannot unpack {archive_path} into {dest}: {exc}; nothing was kept") from None
        content = _check_content(work, expected_content)  # before the rename: a mismatch keeps nothing
        (work / MARKER).write_text(f"source: {url if archive is None else archive_path}\nsha256: {actual}\n"
                                   f"content-sha256: {content}\n")
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
                        help="expected SHA-256 of the zip, compared before unpacking (default: the one recorded "
                             "in this script, none yet, so it is printed; the unpacked dev sequences are verified "
                             "either way)")
    parser.add_argument("--zip", type=Path, help="unpack this already-downloaded zip instead of downloading")
    parser.add_argument("--keep-zip", action="store_true", help="keep the downloaded zip as DEST/DAVIS-data.zip")
    parser.add_argument("--content-digest", type=Path, metavar="DIR",
                        help="only print the content SHA-256 of the dev sequences in the davis2016 folder DIR")
    args = parser.parse_args(argv)
    try:
        if args.content_digest is not None:
            print(content_sha256(args.content_digest))
            return 0
        # The expected content digest is read here, not bound as fetch()'s default, so that it is the module's
        # current value (tests replace it for their small fake release).
        fetch(args.dest, args.url, args.sha256, args.zip, args.keep_zip, content_digest=DEV_CONTENT_SHA256)
    except FetchError as exc:
        print(f"fetch_davis: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch_davis: interrupted; nothing was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
