"""An ingest of N chunks through an OpenAI-compatible embedding server, and how closely the
stored vectors agree with the local float32 model:

    python -m benchmarks.remote_ingest [--url http://host:7997] [--chunks 10000] [--sample 300]
    make bench-remote

Without --url it starts Infinity (`make embedding-server` installs it in .venv-infinity)
on a loopback port, serving the fetched model folder in float32 on the CPU, and stops it
after.

The knowledge folder is one synthetic regulation of N articles (one chunk each, each naming
its own place and numbers), written to a temporary data dir; the ingest is the product's own
(`KnowledgeIndex.ingest` with `embedding_url`). A random sample of the stored chunks is
embedded again by the local float32 model; the figures are the cosine of each pair (min,
mean) and whether every sampled chunk is its own nearest neighbour among the sample by the
server's vectors against the local ones. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

from assistant.settings import REPO_ROOT, Settings

SERVER = REPO_ROOT / ".venv-infinity" / "bin" / "infinity_emb"
SERVED_NAME = "embeddinggemma-300m"
START_TIMEOUT_S = 600

_DISTRICTS = ("罗湖", "福田", "南山", "宝安", "龙岗", "盐田", "龙华", "坪山", "光明", "大鹏")
TITLE = "学位登记点设置细则"


def registration_points(count: int) -> str:
    """A regulation of `count` short articles, each a chunk of its own."""
    articles = (
        f"第{i}条 {_DISTRICTS[i % len(_DISTRICTS)]}第{i}号登记点设在{i % 97 + 1}号楼。"
        for i in range(1, count + 1)
    )
    return f"{TITLE}\n\n" + "\n".join(articles)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def infinity_server(model_dir: Path, log: Path) -> Iterator[str]:
    """Infinity serving `model_dir` in float32 on the CPU on a free loopback port; yields
    its base URL once it answers, and stops it (its whole process group) after."""
    if not SERVER.is_file():
        raise FileNotFoundError(f"{SERVER} is missing: `make embedding-server` installs it")
    port = _free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "INFINITY_ANONYMOUS_USAGE_STATS": "0",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(SERVER), "v2",
                "--model-id", str(model_dir),
                "--served-model-name", SERVED_NAME,
                "--engine", "torch", "--device", "cpu", "--dtype", "float32",
                "--no-bettertransformer", "--no-model-warmup",
                "--host", "127.0.0.1", "--port", str(port),
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Infinity did not start in {START_TIMEOUT_S} s")
            time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@dataclass(frozen=True)
class RemoteIngest:
    url: str
    chunks: int
    seconds: float
    sample: int
    min_cosine: float
    mean_cosine: float
    own_nearest: float  # share of sampled chunks that are their own nearest neighbour

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


def ingest_through(url: str, count: int, sample: int, workdir: Path) -> RemoteIngest:
    """Ingest `count` articles through the server at `url` into `workdir`, and compare a
    random `sample` of the stored vectors with the local float32 model's."""
    from assistant.backends import selection as eb
    from assistant.documents.chunking import Chunk
    from assistant.index import KnowledgeIndex

    knowledge = workdir / "knowledge"
    knowledge.mkdir(parents=True, exist_ok=True)
    (knowledge / "points.txt").write_text(registration_points(count), encoding="utf-8")
    settings = Settings(
        data_dir=workdir / "data", knowledge_dir=knowledge, chroma_host=None, embedding_url=url
    )
    index = KnowledgeIndex(settings)
    started = time.perf_counter()
    report = index.ingest()
    seconds = time.perf_counter() - started
    if report.failed:
        raise RuntimeError(f"ingest through {url} failed: {report.failed}")
    collection = index.active()
    ids = collection.get(include=[])["ids"]
    chosen = random.Random(0).sample(ids, min(sample, len(ids)))
    stored = collection.get(ids=chosen, include=["embeddings", "documents", "metadatas"])
    texts = [
        Chunk(id=i, text=t, **m).embed_text  # type: ignore[arg-type]
        for i, t, m in zip(stored["ids"], stored["documents"], stored["metadatas"], strict=True)
    ]
    local = eb.load(settings.model_cache_dir, eb.REFERENCE, settings.threads).embed_documents(texts)
    theirs = np.asarray(stored["embeddings"], dtype=np.float32)
    cosines = np.sum(local * theirs, axis=1)
    nearest = np.argmax(theirs @ local.T, axis=1) == np.arange(len(chosen))
    return RemoteIngest(
        url=url,
        chunks=collection.count(),
        seconds=seconds,
        sample=len(chosen),
        min_cosine=float(cosines.min()),
        mean_cosine=float(cosines.mean()),
        own_nearest=float(nearest.mean()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the embedding server's base URL (default: start Infinity here)")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args(argv)
    from assistant import model_fetch
    from benchmarks.machine import describe, load_average

    with tempfile.TemporaryDirectory(prefix="remote-ingest-") as tmp:
        if args.url:
            result = ingest_through(args.url, args.chunks, args.sample, Path(tmp))
        else:
            model_dir = model_fetch.check_cached(Settings().model_cache_dir)
            with infinity_server(model_dir, Path(tmp) / "infinity.log") as url:
                result = ingest_through(url, args.chunks, args.sample, Path(tmp))
    machine = describe()
    row = {
        **asdict(result),
        "chunks_per_second": round(result.chunks_per_second, 1),
        "cpu": machine.cpu,
        "flags": machine.flags,
        "cores": machine.cores,
        "load": load_average(),
    }
    print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
