"""The naive pipeline users would otherwise run, for side-by-side evaluation:
RecursiveCharacterTextSplitter(500, 50) over the loaded documents, the same embedder,
LangChain's Chroma vector store (in memory), dense top-k, first passage as the answer."""

from __future__ import annotations

import uuid
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_document
from assistant.documents.manifest import read_manifest
from assistant.embeddings import Embedder, LangChainEmbeddings
from assistant.settings import Settings


class NaiveBaseline:
    def __init__(self, settings: Settings, embedder: Embedder, k: int = 5) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for meta in read_manifest(settings.knowledge_dir):
            try:
                text = load_document(meta.path).text
            except DocumentError:
                continue
            for piece in splitter.split_text(text):
                texts.append(piece)
                metadatas.append({"doc_id": meta.doc_id, "title": meta.title})
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        embeddings: Embeddings = LangChainEmbeddings(embedder)  # type: ignore[assignment]
        self.store = Chroma(
            client=client,
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            embedding_function=embeddings,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.store.add_texts(texts, metadatas=metadatas)
        self.k = k

    def ask(self, question: str, history: list[tuple[str, str]]) -> dict[str, Any]:
        if history:  # no condensing: the naive pipeline just prefixes the last turn
            question = f"{history[-1][0]} {question}"
        docs = self.store.similarity_search_with_score(question, k=self.k)
        citations = [
            {
                "doc_id": d.metadata.get("doc_id", ""),
                "title": d.metadata.get("title", ""),
                "section": "",
                "text": d.page_content,
                "score": float(1 - s),
            }
            for d, s in docs
        ]
        answer = citations[0]["text"] if citations else ""
        return {"question": question, "answer": answer, "refused": False, "citations": citations}
