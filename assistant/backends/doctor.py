"""`python -m assistant doctor`: the CPU, the measured embedding backends, what runs, and
what built the index."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from assistant.backends import selection as eb
from assistant.backends.cpu import cpu_info
from assistant.settings import Settings


def _index_backend(active_collection: Callable[[], Any] | None) -> str:
    if active_collection is None:
        return "no index yet"
    try:
        collection = active_collection()
    except Exception as exc:  # the report is still useful without the index
        return f"unreadable ({type(exc).__name__})"
    if collection is None:
        return "no index yet"
    backends = json.loads(str((collection.metadata or {}).get("embedding_backends", "[]")))
    return ", ".join(backends) or "not recorded (built before backends were recorded)"


def report(
    settings: Settings, remeasure: bool = False, active_collection: Callable[[], Any] | None = None
) -> dict[str, Any]:
    """`active_collection` reads the index's active collection (the caller knows the index)."""
    cpu = cpu_info()
    choice = (
        eb.choose(settings.model_cache_dir, force=True)
        if remeasure
        else eb.stored_choice(settings.model_cache_dir)
    )
    backend, source = (
        eb.resolve_backend(settings)
        if choice or settings.embedding_backend != "auto"
        else (
            "-",
            "not measured",
        )
    )
    return {
        "cpu": cpu.to_json(),
        "native_bf16": cpu.native_bf16,
        "threads": settings.threads,
        "backend": backend,
        "backend_source": source,
        "index_backend": _index_backend(active_collection),
        "choice": choice.to_json() if choice else None,
    }


def render(data: dict[str, Any]) -> str:
    cpu = data["cpu"]
    lines = [
        f"CPU：{cpu['model']}（{cpu['cores']} 核，{cpu['machine']}）",
        f"指令集：{' '.join(cpu['flags']) or '-'}；原生 bf16：{'是' if data['native_bf16'] else '否'}",
        f"运行库：{', '.join(f'{k} {v}' for k, v in cpu['runtimes'].items())}",
        f"嵌入后端：{data['backend']}（{data['backend_source']}），{data['threads']} 线程",
        f"当前索引由此后端生成：{data['index_backend']}",
    ]
    choice = data["choice"]
    if not choice:
        lines.append("本机尚未测量；运行 python -m assistant doctor --remeasure 或 fetch-model。")
        return "\n".join(lines)
    lines += [
        f"测量于 {choice['measured_at']}：选择 {choice['backend']}，{choice['reason']}",
        "",
        "| backend | load s | query p50 ms | p95 ms | ms/passage | min cos | top-1 | top-3 | accepted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in choice["measurements"]:
        if m["note"].startswith("unavailable"):
            lines.append(f"| {m['backend']} | – | – | – | – | – | – | – | no: {m['note']} |")
            continue
        lines.append(
            f"| {m['backend']} | {m['load_s']:.1f} | {m['query_ms']:.0f} | {m['query_p95_ms']:.0f} | "
            f"{m['passage_ms']:.0f} | {m['min_cosine']:.4f} | {m['top1_agreement']:.2f} | "
            f"{m['top3_overlap']:.2f} | {'yes' if m['accepted'] else 'no'} |"
        )
    return "\n".join(lines)


def doctor(
    settings: Settings,
    remeasure: bool = False,
    as_json: bool = False,
    active_collection: Callable[[], Any] | None = None,
) -> int:
    data = report(settings, remeasure=remeasure, active_collection=active_collection)
    print(json.dumps(data, ensure_ascii=False, indent=2) if as_json else render(data))
    return 0
