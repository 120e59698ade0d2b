"""Speed, memory and quality benchmarks of the assistant: `python -m benchmarks [--quick]`.

The run writes docs/benchmarks.md. Everything it builds (indexes, distractor collections)
lives in a temporary folder; only embedded distractor vectors are kept between runs, in
`<tmp>/luohu-bench-cache/`, because embedding them is the slowest step on two cores.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
