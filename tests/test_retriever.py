"""The hybrid search as a LangChain retriever: reused in a user's LCEL chain, carrying the
citation metadata and the index version, and the way the answer chain gets its passages.
Real embedding model over a small real index."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.chain import Assistant
from assistant.index import KnowledgeIndex
from assistant.question.retrieve import HybridSearcher
from assistant.question.retriever import HybridRetriever, document_of, passage_of
from assistant.question.snapshot import keyword_hook
from assistant.settings import Settings
from tests.fakes import SAMPLE_DOCS, make_knowledge

QUESTION = "中小学生每周课外劳动时间不少于多少？"
ANSWER_SENTENCE = "中小学每周课外校外劳动时间不少于二小时"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("retriever")
    settings = Settings(data_dir=root / "data", knowledge_dir=root / "knowledge", chroma_host=None)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, before_switch=keyword_hook(settings))
    assert not index.ingest().failed
    return Assistant(settings, index)


def format_docs(documents: list[Document]) -> str:
    return "\n".join(
        f"[{n}]《{d.metadata['title']}》{d.metadata['section']}：{d.page_content}"
        for n, d in enumerate(documents, start=1)
    )


def test_a_users_lcel_chain_reads_the_retriever(assistant: Assistant) -> None:
    """As README's example: a searcher of its own over the index, no Assistant."""
    searcher = HybridSearcher(KnowledgeIndex(assistant.settings), assistant.settings)
    retriever = HybridRetriever(searcher=searcher, k=2)
    prompt = ChatPromptTemplate.from_template("根据以下资料回答。\n{context}\n问题：{question}")
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt
    chain = chain | RunnableLambda(lambda value: value.to_messages()[0].content)  # stands for a chat model

    text = chain.invoke(QUESTION)

    assert text.startswith("根据以下资料回答。\n[1]《")
    assert "[2]《" in text and "[3]《" not in text  # k=2
    assert "《关于全面加强新时代劳动教育的意见》" in text
    assert ANSWER_SENTENCE in text
    assert text.endswith(f"问题：{QUESTION}")


def test_documents_carry_citation_metadata_and_index_version(assistant: Assistant) -> None:
    retriever = HybridRetriever(searcher=assistant.searcher, k=3)
    documents = retriever.invoke("中小学生每周課外勞動時間不少于多少？")  # Traditional script too
    assert len(documents) == 3
    top = documents[0]
    assert ANSWER_SENTENCE in top.page_content
    assert top.id == top.metadata["chunk_id"]
    meta = top.metadata
    assert meta["doc_id"] == "labor-education"
    assert meta["title"] == "关于全面加强新时代劳动教育的意见"
    assert meta["issuer"] == "深圳市罗湖区教育局"
    assert meta["date"] == "2024-01-01"
    assert meta["status"] == "current"
    assert "section" in meta
    assert meta["index_version"] == assistant.index.active_name()
    assert meta["search"]["best_sentence"].startswith("二、中小学每周")
    scores = [d.metadata["search"]["score"] for d in documents]
    assert scores == sorted(scores, reverse=True)


def test_a_document_gives_back_the_exact_passage(assistant: Assistant) -> None:
    snapshot = assistant.searcher.snapshot()
    found = assistant.searcher.search("幼儿园保育教育以什么为基本活动", 3, snapshot=snapshot)
    assert found.passages
    for passage in found.passages:
        assert passage_of(document_of(passage, snapshot.name or "")) == passage


def test_the_answer_chain_gets_its_passages_through_the_retriever(assistant: Assistant) -> None:
    calls: list[tuple[str, Any]] = []

    class Recording(HybridRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
            documents = super()._get_relevant_documents(query, run_manager=run_manager)
            calls.append((query, documents))
            return documents

    original = assistant.retriever
    assistant.retriever = Recording(searcher=assistant.searcher)
    try:
        result = assistant.ask(QUESTION)
    finally:
        assistant.retriever = original

    assert len(calls) == 1
    _, documents = calls[0]
    assert not result.refused
    assert "二小时" in result.answer
    assert result.index_version == documents[0].metadata["index_version"]
    cited = {(c.doc_id, c.section) for c in result.citations}
    assert (documents[0].metadata["doc_id"], documents[0].metadata["section"]) in cited
