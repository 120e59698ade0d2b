"""A question's path: normalise → condense → (targets table) → retrieve → decide → answer → cite.

What is LCEL and what is not:
- `Assistant.prepare` is one LangChain Runnable (a `RunnableSequence` of `RunnableLambda`
  steps): normalise, condense, the targets-table shortcut for list questions, retrieve,
  and decide, which also picks the citations (`question/cite.py`).
- Answering is plain Python in `Assistant.stream`, because it must stream text while it
  screens it for a leaked prompt, and a refusal, a table answer and an answerer's stream
  end differently. An LLM answerer is itself an LCEL chain (prompt | model | parser, in
  `answering/llm.py`); the extractive answerer is not.

`Assistant.ask` runs the path to the end; `Assistant.stream` yields the answer as the
answerer produces it, then the finished `AskResult`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.admission import AdmissionGate, Ticket
from assistant.answering.agreement import settle
from assistant.answering.base import AnswerContext, Answerer
from assistant.answering.document_facts import document_answer
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm import declines
from assistant.answering.prompt_leak import PromptLeakFilter
from assistant.answering.prompts import load_prompt
from assistant.answering.rows import answer_from_rows
from assistant.answering.table import table_answer
from assistant.index import KnowledgeIndex
from assistant.question.batching import QueryBatcher
from assistant.question.cite import Citation, cite
from assistant.question.condense import Turn, condense
from assistant.question.continuation import following_texts
from assistant.question.decide import Decision, decide, guard, other_year
from assistant.question.normalize import (
    NormalizedQuestion,
    Script,
    clean_input,
    in_script,
    normalize_question,
)
from assistant.question.privacy import mask_personal_numbers
from assistant.question.query_cache import QueryVectorCache
from assistant.question.retrieve import HybridSearcher, Passage
from assistant.question.retriever import HybridRetriever, passage_of
from assistant.question.slots import slot_of
from assistant.question.snapshot import SearchSnapshot, keyword_hook
from assistant.settings import Settings
from assistant.targets.answers import answer_list_question
from assistant.targets.model import Target
from assistant.targets.store import load_targets

log = logging.getLogger(__name__)

NEAREST_ON_REFUSAL = 3
LOGGED_CHARS = 200  # of a question, in the log


@dataclass
class AskResult:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    standalone: str = ""
    reason: str = ""
    answerer: str = ""
    seconds: float = 0.0
    index_version: str = ""  # the collection the answer was read from
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # question/answer/refused/citations are the stable contract; the rest are additions.
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "standalone_question": self.standalone,
            "refusal_reason": self.reason,
            "answerer": self.answerer,
            "latency_ms": round(self.seconds * 1000, 1),
            "index_version": self.index_version,
            **self.extra,
        }

    def render(self) -> str:
        lines = [self.answer, ""]
        for c in self.citations:
            lines.append(f"[{c.number}] {c.label}")
        return "\n".join(lines).rstrip()


@dataclass
class _State:
    question: str
    history: Sequence[Turn]
    snapshot: SearchSnapshot  # the one index version every step of this question reads
    normalized: NormalizedQuestion | None = None
    standalone: str = ""
    passages: list[Passage] = field(default_factory=list)
    decision: Decision | None = None
    table_answer: str | None = None
    citations: list[Citation] = field(default_factory=list)
    table_rows: list[dict[str, Any]] = field(default_factory=list)  # rows an answer came from
    not_in_table: bool = False  # a place looked up in the tables and not found


class Assistant:
    """Everything a question needs, built once per process."""

    def __init__(
        self,
        settings: Settings,
        index: KnowledgeIndex,
        answerer: Answerer | None = None,
        rewriter: Any = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.gate = AdmissionGate(settings.max_concurrent_questions, settings.max_waiting_questions)
        self._batcher: QueryBatcher | None = None
        self._batcher_lock = threading.Lock()
        self._query_cache = QueryVectorCache(settings.query_cache_size)
        self.searcher = HybridSearcher(index, settings, embed_query=self._embed_query)
        # The passages of the text path come through the LangChain retriever other LCEL
        # chains can reuse (assistant/question/retriever.py).
        self.retriever = HybridRetriever(searcher=self.searcher)
        self._extractive = ExtractiveAnswerer()
        self.answerer: Answerer = answerer or self._extractive
        self._rewriter = rewriter
        self.prepare: Runnable[_State, _State] = (
            RunnableLambda(self._normalise, name="normalise")
            | RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._from_rows, name="table rows")
            | RunnableLambda(self._from_table, name="targets table")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._about_document, name="document facts")
            | RunnableLambda(self._decide, name="decide")
        )

    # --- steps
    def _normalise(self, state: _State) -> _State:
        state.normalized = normalize_question(state.question)
        return state

    def _condense(self, state: _State) -> _State:
        assert state.normalized is not None
        standalone = condense(state.normalized.original, state.history, self._rewriter)
        # Retrieval, the decision and the answer read the corrected question; the user's
        # own wording stays in `normalized.original` for display.
        state.standalone = self.searcher.correct_typos(normalize_question(standalone).text, state.snapshot)
        return state

    def _from_rows(self, state: _State) -> _State:
        """Questions naming a place or name in a table's rows (or asking a list, count or
        total over a table) are answered from the rows (assistant/tables)."""
        previous = state.history[-1][0] if state.history else ""
        found = answer_from_rows(self.settings, state.snapshot, state.standalone, previous)
        if found is not None:
            state.table_answer, state.passages, state.table_rows, state.not_in_table = found
        return state

    def _from_table(self, state: _State) -> _State:
        if state.table_answer is not None:
            return state
        """List-style questions about targets, deadlines and duties are answered from the
        targets table when it has matching rows."""
        snapshot = state.snapshot

        def targets() -> list[Target]:
            try:
                return load_targets(self.settings, snapshot.name, snapshot.chunks.pages)
            except Exception as exc:  # the table is an extra: questions still go to retrieval
                log.warning("targets table unavailable: %s", exc)
                return []

        def row_passage(target: Target) -> Passage | None:
            return self.searcher.find_passage(target.doc_id, target.section, target.sentence, snapshot)

        rows = answer_list_question(state.standalone, targets)
        if rows:
            state.table_answer, state.passages = table_answer(rows, row_passage)
        return state

    def _retrieve(self, state: _State) -> _State:
        if state.table_answer is None:
            documents = self.retriever.pinned(state.snapshot, self.settings.top_k).invoke(state.standalone)
            state.passages = [passage_of(d) for d in documents]
        return state

    def _about_document(self, state: _State) -> _State:
        """A question asking when a named document was issued, or by whom, is answered from
        what the index knows of that document (answering/document_facts.py)."""
        if state.table_answer is None:
            found = document_answer(state.standalone, state.passages)
            if found is not None:
                state.table_answer, state.passages = found
        return state

    def _decide(self, state: _State) -> _State:
        assert state.normalized is not None
        if state.table_answer is not None:
            state.decision = (
                guard(state.standalone)
                # "那2016学年给多少个" answered by a row of the 2015学年 table: partial.
                or (
                    other_year(state.standalone, slot_of(state.standalone), state.passages)
                    if state.table_rows
                    else None
                )
                or Decision(False, "")
            )
            state.citations = cite(state.passages)
            return state
        state.decision = decide(
            state.standalone, state.passages, state.snapshot.lexical, state.normalized.script
        )
        state.citations = cite(state.passages)
        # The outcome checked against the sentence it would quote (answering/agreement.py).
        state.decision = settle(
            state.decision, state.standalone, state.citations, state.snapshot.lexical, state.normalized.script
        )
        return state

    # --- public API
    def stream(
        self, question: str, history: Sequence[Turn] = (), ticket: Ticket | None = None
    ) -> Iterator[str | AskResult]:
        """Yield answer text pieces, then the finished AskResult.

        The question takes a turn at the admission gate (ServerBusyError when too many
        wait), unless the caller already holds one (`ticket`, released here at the end)."""
        ticket = ticket or self.gate.enter()
        try:
            yield from self._stream(question, history)
        finally:
            ticket.release()

    def _prepared(self, question: str, history: Sequence[Turn]) -> _State:
        snapshot = self.searcher.snapshot()
        try:
            return self.prepare.invoke(_State(question=question, history=list(history), snapshot=snapshot))
        except Exception:
            # The collection may have been dropped under this search (two ingests in quick
            # succession, another replica's): once, on the active one.
            fresh = self.searcher.refresh(force=True)
            if fresh.name == snapshot.name:
                raise
            log.info("index switched during a question; asking again on %s", fresh.name)
            return self.prepare.invoke(_State(question=question, history=list(history), snapshot=fresh))

    def _stream(self, question: str, history: Sequence[Turn]) -> Iterator[str | AskResult]:
        started = time.perf_counter()
        question = clean_input(question)
        state = self._prepared(question, history)
        assert state.normalized is not None and state.decision is not None
        script = state.normalized.script
        if state.decision.partial:
            # The documents cover the subject, not the asked-for value: say which value they
            # do not state and quote the closest sentence, deterministically, whatever the
            # answerer (a model would be tempted to fill the gap).
            answer = self._extractive.answer(self._context(question, state, script, partial=True))
            yield answer
            citations = state.citations
            refused = True
        elif state.decision.refuse:
            answer = self._refusal_text(state, script)
            yield answer
            citations = self._nearest(state)
            refused = True
        elif state.table_answer is not None:
            refused = state.not_in_table
            if refused:
                state.decision = Decision(False, "not_in_table")
            answer = in_script(state.table_answer, script)
            yield answer
            citations = state.citations
        else:
            refused = False
            context = self._context(question, state, script)
            screen = PromptLeakFilter(self.settings.prompts_dir)
            pieces: list[str] = []
            for piece in screen.screen(self.answerer.stream(context)):
                pieces.append(piece)
                yield piece
            answer = "".join(pieces)
            citations = state.citations
            if screen.leaked:
                log.warning("answer cut off: it quoted an instruction prompt")
                state.decision = Decision(True, "prompt_leak")
                refused = True
                answer = self._refusal_text(state, script)
                yield ("\n\n" if pieces else "") + answer
                citations = []
            elif self.answerer is not self._extractive and declines(answer):
                # The model itself says the documents do not answer: record it as refused.
                state.decision = Decision(True, "llm_declined", state.decision.support, state.decision.slot)
                refused = True
        seconds = time.perf_counter() - started
        outcome = f"refused ({state.decision.reason})" if refused else "answered"
        # Personal numbers never reach the log; a pasted essay is shortened.
        log.info("%s in %.2f s: %s", outcome, seconds, mask_personal_numbers(question)[:LOGGED_CHARS])
        yield AskResult(
            question=question,
            answer=answer,
            refused=refused,
            citations=citations,
            standalone=state.standalone,
            reason=state.decision.reason,
            answerer=self.answerer.name,
            seconds=seconds,
            index_version=state.snapshot.name or "",
            extra={"table_rows": state.table_rows},
        )

    def ask(self, question: str, history: Sequence[Turn] = (), ticket: Ticket | None = None) -> AskResult:
        result: AskResult | None = None
        for item in self.stream(question, history, ticket):
            if isinstance(item, AskResult):
                result = item
        assert result is not None
        return result

    # --- helpers
    def _embed_query(self, text: str) -> Any:
        """From the cache of recent questions, else through the shared batcher (one model
        thread for every request)."""
        version = self.searcher.snapshot().name or ""
        return self._query_cache.get(version, text, self._embed_uncached)

    def _embed_uncached(self, text: str) -> Any:
        if self._batcher is None:
            with self._batcher_lock:
                if self._batcher is None:
                    self._batcher = QueryBatcher(
                        self.index.embedder,
                        max_batch=self.settings.query_batch_size,
                        max_wait_ms=self.settings.query_batch_wait_ms,
                        capacity=self.settings.max_concurrent_questions,
                        in_flight=lambda: self.gate.active,
                        streams=self.settings.query_streams,
                    )
        return self._batcher.embed_query(text)

    def _nearest(self, state: _State) -> list[Citation]:
        """Up to three nearest measures to point to when refusing (none for abuse)."""
        assert state.decision is not None
        if state.decision.reason in {"injection", "harmful", "prompt_leak"}:
            return []
        return [c for c in state.citations if c.score > 0][:NEAREST_ON_REFUSAL]

    def _context(self, question: str, state: _State, script: Script, partial: bool = False) -> AnswerContext:
        """What an answerer reads. A partial answer quotes the closest sentence only; a full
        one may read a list on into the chunks after its passage."""
        assert state.decision is not None
        return AnswerContext(
            question,
            state.standalone,
            script,
            state.citations,
            slot=state.decision.slot,
            partial=partial,
            lexical=state.snapshot.lexical,
            following=None if partial else following_texts(state.snapshot),
        )

    def _refusal_text(self, state: _State, script: str) -> str:
        english = script == "en"
        text = load_prompt("refusal_en" if english else "refusal", self.settings.prompts_dir)
        nearest = self._nearest(state)
        if nearest:
            head = "The nearest relevant provisions:" if english else "与问题最接近的相关内容，供参考："
            items = [f"[{c.number}] {c.label}" for c in nearest]
            text = "\n".join([text, head, *items])
        return in_script(text, script)  # type: ignore[arg-type]


def build_assistant(settings: Settings) -> Assistant:
    index = KnowledgeIndex(settings, before_switch=keyword_hook(settings))
    rewriter = None
    answerer: Answerer | None = None
    if settings.answerer in {"openai", "llamacpp"}:
        from assistant.answering.llm import ChatAnswerer, build_llamacpp_chat, build_openai_chat

        chat = build_openai_chat(settings) if settings.answerer == "openai" else build_llamacpp_chat(settings)
        answerer = ChatAnswerer(chat, settings.answerer)
        rewriter = answerer.rewrite
    return Assistant(settings, index, answerer=answerer, rewriter=rewriter)
