"""Answer benchmark on an external question set: does the extractive answer hold the asked
fact when the passage that states it is among the five it is given?

    python -m assistant.evaluation.answer_bench DIR_OR_RGB_FILE [--limit N] [--out FILE]
        [--candidates FILE]

DIR is a BEIR-style set whose queries carry their answers (`queries.jsonl` with
{"_id", "text", "answers"}, `corpus.jsonl`, `qrels.tsv`), such as the DomainRAG admissions
questions: documents and phrasings the answer rules were never chosen on, or an RGB
news file (`zh_refine.json`, see `load_rgb`). Each question
gets its gold passage and the four other passages of the corpus that BM25 ranks first
for it (hard distractors), ordered by dense similarity as retrieval would give them; the
answer is the extractive answerer's, with the real embedding model's passage and
sentence vectors. `answers` is a list of alternatives, each a list of strings that must
all appear. Figures: how often the whole answer holds an alternative, how often its first
quoted passage does, and how often the gold passage leads. Vectors are cached under
`<data dir>/bench/answer-vectors/`, so a rerun after an answering change embeds nothing.
This measures the answer step alone (the decision and retrieval have their own figures).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.answering.base import AnswerContext
from assistant.answering.extractive import ExtractiveAnswerer, rank_sentences
from assistant.answering.quote import quoted_sentences
from assistant.answering.ranker import sentence_features
from assistant.backends.loader import get_embedder
from assistant.evaluation.halves import CONFIRM
from assistant.grammar.sentences import split_sentences
from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import normalize_question
from assistant.question.slots import slot_of
from assistant.question.terms import search_tokens
from assistant.settings import Settings

PASSAGES = 5
MAX_EMBED_CHARS = 700  # ~512 model tokens of Chinese text, as the retrieval bench


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: list[list[str]]
    gold: str


def load(directory: Path) -> tuple[dict[str, str], list[Item]]:
    corpus = {}
    for line in (directory / "corpus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        corpus[row["_id"]] = f"{row.get('title', '')}\n{row['text']}".strip()
    gold: dict[str, str] = {}
    with (directory / "qrels.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if int(row["score"]) > 0:
                gold.setdefault(row["query-id"], row["corpus-id"])
    items = []
    for line in (directory / "queries.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        answers = [[a] if isinstance(a, str) else list(a) for a in row.get("answers") or []]
        if answers and row["_id"] in gold:
            items.append(Item(row["_id"], row["text"], answers, gold[row["_id"]]))
    return corpus, items


def load_rgb(path: Path) -> tuple[dict[str, str], list[Item]]:
    """An RGB set (`zh_refine.json`: one JSON object a line with query, answer, positive
    and negative passages): each question's first positive passage is its gold; all
    passages of the file form the corpus its distractors are drawn from."""
    corpus: dict[str, str] = {}
    items = []
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        qid = f"rgb-{row['id']}"
        for kind in ("positive", "negative"):
            for n, text in enumerate(row.get(kind) or []):
                if isinstance(text, str):
                    corpus[f"{qid}-{kind[0]}{n}"] = text
        # A list of strings: alternatives; a list of lists: the parts of the answer, each
        # with its alternatives.
        answer = row.get("answer") or []
        parts = [[str(a) for a in part] for part in answer if isinstance(part, list)]
        answers = [list(p) for p in product(*parts)] if parts else [[str(a)] for a in answer]
        if f"{qid}-p0" in corpus:
            items.append(Item(qid, row["query"], answers, f"{qid}-p0"))
    return corpus, items


def holds(answers: list[list[str]], text: str) -> bool:
    flat = "".join(text.split())
    return any(all("".join(a.split()) in flat for a in alternative) for alternative in answers)


class VectorCache:
    """Document and query vectors by text, kept in one .npz between runs."""

    def __init__(self, path: Path, embedder: Any) -> None:
        self.path, self.embedder = path, embedder
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                self.vectors = {k: data[k] for k in data.files}
        self.added = 0

    @staticmethod
    def _key(kind: str, text: str) -> str:
        return hashlib.sha1(f"{kind}\n{text}".encode()).hexdigest()

    def documents(self, texts: list[str]) -> list[np.ndarray]:
        todo = sorted({t for t in texts if self._key("d", t) not in self.vectors})
        if todo:
            for text, vector in zip(todo, self.embedder.embed_documents(todo), strict=True):
                self.vectors[self._key("d", text)] = np.asarray(vector, dtype=np.float32)
            self.added += len(todo)
        return [self.vectors[self._key("d", t)] for t in texts]

    def query(self, text: str) -> np.ndarray:
        key = self._key("q", text)
        if key not in self.vectors:
            self.vectors[key] = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
            self.added += 1
        return self.vectors[key]

    def save(self) -> None:
        if self.added:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, **self.vectors)


def answer_one(
    item: Item, corpus: dict[str, str], ids: list[str], lexical: LexicalIndex, cache: VectorCache
) -> dict[str, Any]:
    question = normalize_question(item.question).text
    hits = [cid for cid, _ in lexical.search(search_tokens(question), PASSAGES * 3)]
    chosen = [item.gold, *[cid for cid in hits if cid != item.gold][: PASSAGES - 1]]
    texts = [corpus[cid][:MAX_EMBED_CHARS] for cid in chosen]
    q = cache.query(question)
    dense = [float(np.dot(q, v)) for v in cache.documents(texts)]
    order = sorted(range(len(chosen)), key=lambda i: -dense[i])
    citations = []
    for n, i in enumerate(order, start=1):
        text = corpus[chosen[i]]
        sentences = list(dict.fromkeys(split_sentences(text)))
        if len(sentences) > 1:
            pairs = tuple(
                (s, float(np.dot(q, v))) for s, v in zip(sentences, cache.documents(sentences), strict=True)
            )
        else:  # one sentence: the passage's own vector stands for it, as in the index
            pairs = tuple((s, dense[i]) for s in sentences)
        citations.append(
            Citation(
                n, chosen[i], "", "", "", "current", "", text, text, dense[i], chosen[i], sentence_dense=pairs
            )
        )
    slot = slot_of(question)
    context = AnswerContext(item.question, question, "hans", citations, slot=slot, lexical=lexical)
    answer = ExtractiveAnswerer(lexical).answer(context)
    first = answer.split("——出自")[0]
    tokens = search_tokens(question)
    ranked = rank_sentences(citations, question, slot, tokens, lexical)
    features = sentence_features(ranked, question, slot, tokens, lexical)
    # The candidate sentences as `fit_ranker collect` writes them, so an outside set can
    # confirm a ranker fitted on the development sets (`fit_ranker fit … --confirm`).
    candidates = [
        {
            "number": c.citation.number,
            "at": c.at,
            "held": int(holds(item.answers, c.sentence)),
            "quote_all": holds(item.answers, " ".join(quoted_sentences(c, slot, question, tokens, lexical))),
            "features": row,
        }
        for c, row in zip(ranked, features, strict=True)
    ]
    return {
        "id": item.id,
        "question": item.question,
        "answer": answer,
        "holds": holds(item.answers, answer),
        "first_holds": holds(item.answers, first),
        "gold_first": citations[0].chunk_id == item.gold,
        "gold_quoted": f"[{next(c.number for c in citations if c.chunk_id == item.gold)}]" in first,
        "candidates": candidates,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--candidates", type=Path, help="candidate sentences in fit_ranker's format")
    args = parser.parse_args(argv)
    settings = Settings()
    corpus, items = load_rgb(args.directory) if args.directory.is_file() else load(args.directory)
    if args.limit:
        items = items[: args.limit]
    ids = list(corpus)
    lexical = LexicalIndex(ids, [corpus[i] for i in ids])
    cache = VectorCache(
        settings.data_dir / "bench" / "answer-vectors" / f"{args.directory.stem}.npz", get_embedder(settings)
    )
    rows = []
    try:
        for item in tqdm(items, desc="answers", unit="q"):
            rows.append(answer_one(item, corpus, ids, lexical, cache))
    finally:
        cache.save()
    if args.out:
        answers = ({k: v for k, v in r.items() if k != "candidates"} for r in rows)
        args.out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in answers), encoding="utf-8"
        )
    if args.candidates:
        # An outside set only confirms: every question is on the confirming part.
        lines = [
            {
                "id": r["id"],
                "question": r["question"],
                "part": CONFIRM,
                "groups": 1,
                "candidates": r["candidates"],
            }
            for r in rows
        ]
        args.candidates.write_text(
            "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8"
        )
    n = len(rows) or 1
    print(f"{args.directory.name}: {len(rows)} questions, {PASSAGES} passages each (gold + BM25 distractors)")
    for name in ("holds", "first_holds", "gold_first", "gold_quoted"):
        print(f"  {name:12s} {sum(r[name] for r in rows) / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
