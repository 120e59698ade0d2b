"""Homophone typos from pinyin input (学为 → 学位, 幼儿圆 → 幼儿园), corrected against the
knowledge base's own vocabulary.

A pinyin keyboard offers every character of a syllable, so a parent picks 圆 for 园 and the
keyword side then misses the word the documents use. The rule, with no word list:
- a stretch of the question is replaced by a word of the keyword index only when that word
  reads the same (toneless pinyin) and differs in one character;
- the stretch itself must be unknown to the corpus, and must be whole words of the
  question's dictionary segmentation (a correction never cuts through a real word);
- the stretch must be where jieba finds no dictionary words (its HMM makes up a word
  there: 做业, 听历), and the intended word must be an established dictionary word;
- a stretch that is an established word of the general dictionary is what the user meant,
  not a typo, and is left alone even if the documents never use it;
- a question word and the measure word after it (哪天, 几号: data/typos.toml) are the
  asker's grammar and belong to no stretch ("哪天起实施" keeps 天起).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import jieba
import jieba.posseg as pseg
from pypinyin import Style, lazy_pinyin, pinyin

from assistant.grammar.sentences import ENDS, PROSE_MARKS
from assistant.question.lexical import STOPWORDS
from assistant.vocab import compile_pattern, table

_DATA = table("assistant.question", "typos.toml")
_QUESTION_PHRASE = compile_pattern(_DATA["question_phrase"])
_WHICH = compile_pattern(_DATA["which"])
_CLAUSE_END = re.compile(f"(?<=[{re.escape(PROSE_MARKS)}])")
# The question mark and the spoken particles that end any clause ("啊？"), which alone do
# not make it ask something other than which.
_ASKED_END = re.compile(f"[啊呀吧嘛哦{re.escape(ENDS)}\\s]+$")

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
MIN_LEN, MAX_LEN = 2, 4  # words of the length typos hit: 学位, 幼儿园, 随行卡
# A word jieba's general dictionary counts at least this often is a word in its own right
# (踏实: 516); typo forms sit far below it (幼儿圆: 3, most: absent).
GENERAL_WORD_FREQ = 20


def _toneless(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word, style=Style.NORMAL))


def _reading(stretch: str) -> tuple[str, ...]:
    """The toneless reading of a stretch, character by character: a typo is a character
    picked for its usual sound (的 as de, not di), so rare readings are not tried."""
    return tuple(r[0] for r in pinyin(stretch, style=Style.NORMAL, heteronym=False))


@dataclass
class TypoCorrector:
    """Built from the keyword index's vocabulary (token → document frequency)."""

    vocabulary: Mapping[str, int]
    _by_reading: dict[tuple[str, ...], list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_reading = {}
        for word in self.vocabulary:
            if MIN_LEN <= len(word) <= MAX_LEN and _CJK_RUN.fullmatch(word) and word not in STOPWORDS:
                self._by_reading.setdefault(_toneless(word), []).append(word)

    def correct(self, text: str) -> str:
        text = which_typed_as_that(text)
        return "".join(self._correct_run(part) if _CJK_RUN.fullmatch(part) else part for part in _split(text))

    def corrections(self, text: str) -> list[tuple[str, str]]:
        """(typo, word) pairs that `correct` would apply: for logs and tests."""
        out: list[tuple[str, str]] = []
        for part in _split(text):
            if _CJK_RUN.fullmatch(part):
                self._correct_run(part, out)
        return out

    def _correct_run(self, run: str, found: list[tuple[str, str]] | None = None) -> str:
        jieba.dt.check_initialized()
        # Word boundaries of the dictionary segmentation (no HMM: unknown characters stay
        # single, so a typo never merges with its neighbours into a made-up word).
        bounds = {0}
        position = 0
        for token in jieba.lcut(run, HMM=False):
            position += len(token)
            bounds.add(position)
        # Where the dictionary cannot explain the characters: jieba's HMM joins them into a
        # made-up word (做业, 听历, 形卡). Ordinary words next to each other (能/收, 的/分)
        # are not a typo even when they sound like a corpus word.
        unexplained: set[int] = set()
        position = 0
        for token in jieba.lcut(run):
            if len(token) >= MIN_LEN and not general_word(token):
                unexplained.update(range(position, position + len(token)))
            position += len(token)
        # A question word and its measure word (哪天, 几号) belong to no stretch.
        asking = {p for m in _QUESTION_PHRASE.finditer(run) for p in range(m.start(), m.end())}
        # Characters inside a word the corpus knows are never changed (起付线 keeps 付线).
        protected: set[int] = set()
        for i in range(len(run)):
            for length in range(MIN_LEN, min(MAX_LEN, len(run) - i) + 1):
                if run[i : i + length] in self.vocabulary:
                    protected.update(range(i, i + length))
        result: list[str] = []
        i = 0
        while i < len(run):
            replaced = False
            if i in bounds:
                for length in range(min(MAX_LEN, len(run) - i), MIN_LEN - 1, -1):
                    span = set(range(i, i + length))
                    if i + length not in bounds or not unexplained & span or asking & span:
                        continue
                    stretch = run[i : i + length]
                    # The character typed wrong is one the dictionary cannot explain: "最多能|收"
                    # (jieba's made-up 最多能) has no typo 收 for 手 (能手).
                    changeable = {p - i for p in span if p not in protected and p in unexplained}
                    word = self._candidate(stretch, changeable)
                    if word:
                        result.append(word)
                        if found is not None:
                            found.append((stretch, word))
                        i += length
                        replaced = True
                        break
            if not replaced:
                result.append(run[i])
                i += 1
        return "".join(result)

    def _candidate(self, stretch: str, changeable: set[int]) -> str | None:
        """The corpus word `stretch` is a typo of, if any, changing one of `changeable`."""
        if stretch in self.vocabulary or general_word(stretch):
            return None
        candidates = []
        for word in self._by_reading.get(_reading(stretch), ()):
            changed = [k for k, (a, b) in enumerate(zip(word, stretch, strict=True)) if a != b]
            # The intended word is an established word, not a token jieba made up from
            # the documents' characters.
            if len(changed) == 1 and changed[0] in changeable and general_word(word) and not _numeral(word):
                candidates.append(word)
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda w: self.vocabulary[w])


def which_typed_as_that(text: str) -> str:
    """哪 where 那 was typed for it (data/typos.toml `which`): in a clause that asks nothing
    else and ends as a question on 那 and a measure word."""
    # Imported here: the clause grammar reads the slot grammar, which reads this module's
    # corrected text only at run time.
    from assistant.question.clauses import asks

    clauses = _CLAUSE_END.split(text)
    for n, clause in enumerate(clauses):
        found = _WHICH.search(clause)
        if found is None:
            continue
        before, after = clause[: found.start()], clause[found.end() :]
        if not asks(_ASKED_END.sub("", before + after)):
            clauses[n] = f"{before}哪{after}"
    return "".join(clauses)


def general_word(word: str) -> bool:
    """A word of the language: jieba's general dictionary counts it GENERAL_WORD_FREQ times."""
    return jieba.dt.FREQ.get(word, 0) >= GENERAL_WORD_FREQ


def general_noun(word: str) -> bool:
    """A noun of the language (菜单, 手机): a general word jieba tags as a noun."""
    return general_word(word) and (pseg.dt.word_tag_tab.get(word) or "").startswith("n")


def _numeral(word: str) -> bool:
    """Counts and ordinals (三届, 一次) are the user's own figures, never a typo to fix."""
    return pseg.dt.word_tag_tab.get(word) == "m"


def _split(text: str) -> list[str]:
    """Runs of Chinese characters and everything between them."""
    return [p for p in re.split(r"([\u4e00-\u9fff]+)", text) if p]
