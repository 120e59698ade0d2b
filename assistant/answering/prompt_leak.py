"""Stop an answer that recites the model's instructions.

Injection attempts are refused before any model is asked (refusal.guard), but a model can
still be talked into quoting its system prompt by wording no rule foresees. Answers are
therefore screened as they stream: text is held back until WINDOW more characters have
followed it, and the answer is cut off as soon as any WINDOW consecutive characters of an
instruction prompt appear in it. Comparison ignores spaces, punctuation, case and the
Traditional/Simplified difference, so light rewording of the layout does not slip through.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from assistant.question.normalize import to_simplified

WINDOW = 20
INSTRUCTION_PROMPTS = ("system", "answer", "condense")
OUTPUT_PROMPTS = ("refusal", "refusal_en")  # meant to be said: never a leak
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff]")


def _normalise(text: str) -> str:
    return "".join(_KEEP.findall(to_simplified(text).lower()))


def _windows(text: str) -> set[str]:
    return {text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1)}


@lru_cache(maxsize=8)
def _prompt_windows(prompts_dir: str) -> frozenset[str]:
    folder = Path(prompts_dir)
    secret: set[str] = set()
    for name in INSTRUCTION_PROMPTS:
        path = folder / f"{name}.txt"
        if path.is_file():
            secret |= _windows(_normalise(_PLACEHOLDER.sub("", path.read_text(encoding="utf-8"))))
    for name in OUTPUT_PROMPTS:
        path = folder / f"{name}.txt"
        if path.is_file():
            secret -= _windows(_normalise(path.read_text(encoding="utf-8")))
    return frozenset(secret)


class PromptLeakFilter:
    """`screen(pieces)` passes an answer's pieces through, minus any that would reveal an
    instruction prompt; `leaked` tells afterwards whether the answer was cut off."""

    def __init__(self, prompts_dir: Path) -> None:
        self._secret = _prompt_windows(str(prompts_dir))
        self.leaked = False

    def screen(self, pieces: Iterable[str]) -> Iterator[str]:
        seen = ""  # normalised text so far (only the last WINDOW - 1 characters are kept)
        held: deque[tuple[str, int]] = deque()  # pieces not yet passed on, with their length
        after = 0  # normalised characters in `held`
        for piece in pieces:
            new = _normalise(piece)
            text = seen + new
            start = max(0, len(seen) - WINDOW + 1)
            if any(text[i : i + WINDOW] in self._secret for i in range(start, len(text) - WINDOW + 1)):
                self.leaked = True
                return
            seen = text[-(WINDOW - 1) :]
            held.append((piece, len(new)))
            after += len(new)
            # A piece goes out once WINDOW - 1 characters have followed it: any window that
            # starts inside it is then complete and has been checked.
            while held and after - held[0][1] >= WINDOW - 1:
                piece_out, size = held.popleft()
                after -= size
                yield piece_out
        for piece_out, _ in held:
            yield piece_out
