"""LLM answerers: any OpenAI-compatible endpoint (DeepSeek, Qwen, Ollama, vLLM, llama.cpp's
server) through langchain-openai, or a local GGUF through llama-cpp-python."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from assistant.answering.base import AnswerContext, historical_note
from assistant.answering.extractive import Evidence, choose_evidence, join_quote
from assistant.answering.prompts import load_prompt
from assistant.grammar.sentences import first_sentence
from assistant.question.cite import Citation
from assistant.settings import Settings
from assistant.vocab import compile_pattern, table

_DECLINES = compile_pattern(table("assistant.answering", "declines.toml")["declines"]["pattern"])


RANKED_SENTENCES = 5  # sentences listed for the model, best first


def format_sentences(context: AnswerContext, evidence: Evidence | None = None) -> str:
    """The sentences the extractive ranking puts first, each with its passage's number
    and heading path, so the model quotes the sentence chosen here rather than a neighbour."""
    found = evidence or choose_evidence(context)
    return "\n".join(
        f"[{c.citation.number}] {_where(c.citation)}：{c.sentence}" for c in found.ranked[:RANKED_SENTENCES]
    )


def format_quote(context: AnswerContext, evidence: Evidence | None = None) -> str:
    """The quote the extractive answer leads with, as one block: the best sentence with
    the items of a list it announces (read on into the chunks after its passage), the
    neighbour that completes it or the sentence that states the asked value; for each
    other thing the question asks, the sentence of another passage that answers it; and
    the lead line taken from the quote (the asked figure, date, body or 可以/不可以)."""
    found = evidence or choose_evidence(context)
    lines = [f"[{found.citation.number}] {_where(found.citation)}：{join_quote(found.quote)}"]
    # A question asking two things: the sentence of another passage that answers the other
    # one, as the extractive answer quotes it.
    lines.extend(f"[{c.number}] {_where(c)}：{sentence}" for c, sentence in found.more)
    if found.lead:
        lines.append(f"要点：{found.lead}")
    return "\n".join(lines)


def _where(citation: Citation) -> str:
    """Where a sentence stands: its passage's heading path (the title is in 【资料】)."""
    return citation.section or citation.title


def format_context(citations: list[Citation]) -> str:
    blocks = []
    for c in citations:
        # The reason (已被《…》废止, 已过期 …) lets the model say what replaced an old rule.
        reason = f"；{c.status_reason}" if c.status_reason else ""
        badge = f"（历史文件，{c.year}年{reason}）" if c.historical else ""
        blocks.append(f"[{c.number}] 《{c.title}》{badge} {c.section}\n{c.text}")
    return "\n\n".join(blocks)


class ChatAnswerer:
    """Answers with a chat model from the system and answer prompts; streams tokens."""

    def __init__(self, llm: BaseChatModel, name: str) -> None:
        self.name = name
        self.llm = llm

    def _chain(self) -> Runnable[dict[str, str], str]:
        """Built per answer from the prompt files, so an edited prompt applies at once."""
        prompt = ChatPromptTemplate.from_messages(
            [("system", load_prompt("system")), ("human", load_prompt("answer"))]
        )
        return prompt | self.llm | StrOutputParser()

    def stream(self, context: AnswerContext) -> Iterator[str]:
        evidence = choose_evidence(context)
        inputs = {
            "context": format_context(context.citations),
            "quote": format_quote(context, evidence),
            "sentences": format_sentences(context, evidence),
            "question": context.question,
        }
        yield from self._chain().stream(inputs)
        note = historical_note(context.citations[:1], context.script)
        if note:
            yield "\n" + note

    def rewrite(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """Condense a follow-up with the condense prompt."""
        turns = "\n".join(f"用户：{q}\n助手：{a[:300]}" for q, a in history[-3:])
        text = load_prompt("condense").format(history=turns, question=question)
        reply = self.llm.invoke([SystemMessage(content="你只负责改写问题。"), HumanMessage(content=text)])
        return str(reply.content).strip().splitlines()[0] if reply.content else question


def build_openai_chat(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_retries=1,
        streaming=True,
    )


def build_llamacpp_chat(settings: Settings) -> BaseChatModel:
    try:
        from langchain_community.chat_models import ChatLlamaCpp
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("llamacpp answerer needs: pip install '.[llamacpp]'") from exc
    if not settings.llamacpp_model_path or not settings.llamacpp_model_path.is_file():
        raise RuntimeError("set ASSISTANT_LLAMACPP_MODEL_PATH to a GGUF file")
    return ChatLlamaCpp(
        model_path=str(settings.llamacpp_model_path),
        temperature=settings.llm_temperature,
        n_ctx=4096,
        n_threads=2,
        max_tokens=512,
        streaming=True,
        verbose=False,
    )


_CITED = re.compile(r"\[\d+\]")


def declines(answer: str) -> bool:
    """Whether a model's reply says that the documents do not answer the question: it
    opens by saying so, or says so and cites nothing. A cited answer that adds "资料没有写的，
    现有文件中没有相关规定" about some detail is an answer."""
    if _DECLINES.search(first_sentence(answer.strip())):
        return True
    return bool(_DECLINES.search(answer)) and not _CITED.search(answer)
