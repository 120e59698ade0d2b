"""The import layers of the package (pyproject.toml, [tool.importlinter]) hold, and mapping
an error to a user message loads neither the index (chromadb) nor a model (torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.admission import ServerBusyError
from assistant.documents.errors import DocumentError
from assistant.embeddings import EmbedderError
from assistant.errors import user_message_for
from assistant.model_fetch import ModelFetchError

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("chromadb", "torch", "sentence_transformers", "transformers", "langchain_core")


def test_import_layers_and_forbidden_imports_hold() -> None:
    """The layers, the forbidden imports of errors/settings and no cycle between siblings;
    lint-imports counts imports inside functions and under TYPE_CHECKING too."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_importing_errors_loads_neither_chromadb_nor_torch() -> None:
    code = (
        "import json, sys\n"
        "from assistant.errors import user_message_for\n"
        "user_message_for(RuntimeError('x'))\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (DocumentError("bad file", "文件无法读取。"), "文件无法读取。"),
        (ServerBusyError(5), "现在提问的人较多，请约 5 秒后再试。"),
        (EmbedderError("cannot load x"), "嵌入模型无法加载：cannot load x"),
        (EmbedderError("server down", "嵌入服务器无法连接。"), "嵌入服务器无法连接。"),
        (
            ModelFetchError("checksum mismatch"),
            "嵌入模型下载或校验失败：checksum mismatch（请检查网络后运行 python -m assistant fetch-model 重试）",
        ),
        (ValueError("boom"), "发生意外错误（ValueError），请稍后重试；详情见日志。"),
    ],
)
def test_each_error_says_its_own_message(error: BaseException, message: str) -> None:
    assert user_message_for(error) == message


def test_index_errors_say_their_own_message() -> None:
    from assistant.index import IndexUnavailableError

    error = IndexUnavailableError("chroma down", "知识库索引暂时无法读取。")
    assert user_message_for(error) == "知识库索引暂时无法读取。"
