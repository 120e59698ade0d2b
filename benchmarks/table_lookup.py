"""`python -m benchmarks.table_lookup [--rows 100000] [--tables DIR]`: the row lookup with
many table rows indexed. Prints figures; it asserts nothing.

Rows are generated from the shapes of the real tables (`shared/sources_new/tables`, beside
the repository): each real record is a template whose name and place cells get new names
(a school, a compound, a street, a road with a house-number range), so the keys per row,
the cell lengths and the tables' captions are those of real bureau tables. The figures are
the index build, its save and load (what a restarted process reads), and `match` +
`answer_rows` per question (the question path skips text retrieval when rows answer).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from assistant.answering.rows import answer_rows
from assistant.documents.manifest import DocumentMeta
from assistant.documents.table_rows import row_chunks
from assistant.tables.lookup import RowIndex, is_place_column
from assistant.tables.model import record_from_metadata
from benchmarks import REPO_ROOT

_CHARS = "安宝翠东丰福桂海和红华嘉锦景君乐丽莲林龙罗梅明南鹏平清泉荣瑞山盛松泰天田文祥新兴雅阳怡悦云泽政中竹"
_ABSENT = "碧蓝紫金银星月光晨曦"  # characters of no generated name: looked-up places that are absent
_PLACE_ENDINGS = ["花园", "苑", "小区", "新村", "山庄", "家园"]


def _name(rng: random.Random, ending: str, chars: str = _CHARS) -> str:
    return "".join(rng.choice(chars) for _ in range(rng.randint(2, 3))) + ending


def synthetic_rows(
    tables: Path, count: int, seed: int = 7
) -> tuple[list[str], list[dict[str, object]], list[str]]:
    """(ids, metadata, compound names used) of `count` rows shaped like the real ones."""
    templates: list[dict[str, object]] = []
    for path in sorted(tables.iterdir()):
        meta = DocumentMeta(path.stem, path, path.stem, path.stem, "", "2015", "historical")
        # Rows whose first column holds places (辖区, 地区, 单位（服务区域）…), as zoning rows do.
        templates.extend(
            m
            for m in (c.metadata() for c in row_chunks(meta))
            if is_place_column(next(iter(json.loads(m["cells"]))))
        )
    rng = random.Random(seed)
    ids, metas, compounds = [], [], []
    for n in range(count):
        template = dict(templates[n % len(templates)])
        cells = json.loads(str(template["cells"]))
        header = list(cells)
        compound = _name(rng, rng.choice(_PLACE_ENDINGS))
        road = _name(rng, "路")
        low = rng.randrange(1, 400, 2)
        cells[header[0]] = f"{compound}、{_name(rng, '街道')}、{road}{low}-{low + 98}号（单号）"
        if len(header) > 1:
            cells[header[1]] = f"{_name(rng, '')}第{n}小学"
        template["cells"] = json.dumps(cells, ensure_ascii=False)
        template["doc_id"] = f"{template['doc_id']}-{n // 5000}"
        ids.append(f"bench:row{n:07d}")
        metas.append(template)
        compounds.append(compound)
    return ids, metas, compounds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.table_lookup", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tables", default=str(REPO_ROOT.parent / "shared" / "sources_new" / "tables"))
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    ids, metas, compounds = synthetic_rows(Path(args.tables), args.rows)
    print(f"generated {len(ids):,} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    index = RowIndex([record_from_metadata(m) for m in metas], ids, metas)
    print(f"index built in {time.perf_counter() - started:.1f} s ({len(index.keys):,} keys)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.jsonl"
        started = time.perf_counter()
        index.save(path)
        print(f"saved in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        started = time.perf_counter()
        loaded = RowIndex.load(path)
        assert loaded is not None
        print(f"loaded (a restarted process) in {time.perf_counter() - started:.1f} s")
    gc.freeze()  # as assistant/tables/store.py does once an index is opened
    rng = random.Random(11)
    kinds = {
        "compound": lambda: f"我家住{rng.choice(compounds)}，对口哪所学校？",
        "house number": lambda: f"我家住{_road_of(index, rng)}，对口哪所学校？",
        # One character no name has, one many names have: closest names exist to be found.
        "not found": lambda: f"我家住在{rng.choice(_ABSENT)}{rng.choice(_CHARS)}苑，对口哪所学校？",
        "school": lambda: f"{index.names[rng.randrange(len(index))]}在哪里？",
    }
    for kind, make in kinds.items():
        times = []
        outcomes: dict[str, int] = {}
        for _ in range(args.questions):
            question = make()
            begin = time.perf_counter()
            match = index.match(question)
            if match is not None:
                answer_rows(match, index, question)
            times.append((time.perf_counter() - begin) * 1000)
            outcome = match.kind if match else "text path"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"{kind:>12}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
            f" over {len(times)} questions ({outcomes})"
        )


def _road_of(index: RowIndex, rng: random.Random) -> str:
    road = rng.choice(list(index.roads))
    house = index.roads[road][0][1]
    return f"{road}{house.low + 2}号"


if __name__ == "__main__":
    main()
