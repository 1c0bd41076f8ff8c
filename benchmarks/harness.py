"""Shared benchmark harness: interleaved timing, optional peers, Markdown tables.

Each benchmark plans rows ``(group, name, fn or None, note)``; a group's first row that ran is
its baseline. :func:`main` times every runnable row in interleaved rounds (so drift on a shared
machine hits all rows alike), takes medians, and writes ``results/<name>-<device>.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"
Plan = list[tuple[str, str, "Callable[[], object] | None", str]]
Row = tuple[str, str, "float | None", str]


def median_seconds(
    fns: list[Callable[[], object]], device: str, warmup: int, repeats: int
) -> list[float]:
    """Median time of each function, measured in interleaved rounds."""

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    for fn in fns:
        for _ in range(warmup):
            fn()
    sync()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            sync()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def optional_import(name: str) -> object:
    """The module, or a string saying why it cannot be imported (torchaudio's CUDA wheel
    raises OSError on a CPU-only torch)."""
    try:
        return __import__(name, fromlist=["_"])
    except (ImportError, OSError) as exc:
        return f"not importable ({type(exc).__name__})"


def no_grad(fn: Callable[[], object]) -> Callable[[], object]:
    return torch.no_grad()(fn)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(plan: Plan, device: str, warmup: int, repeats: int) -> list[Row]:
    runnable = [fn for _, _, fn, _ in plan if fn is not None]
    medians = iter(median_seconds(runnable, device, warmup, repeats))
    rows = [(g, n, None if fn is None else next(medians), note) for g, n, fn, note in plan]
    order = {group: i for i, group in reversed(list(enumerate(g for g, *_ in rows)))}
    return sorted(rows, key=lambda row: order[row[0]])


def table(title: str, workload: str, device: str, rows: list[Row], threads: int) -> str:
    baselines: dict[str, tuple[str, float | None]] = {}
    for group, name, seconds, _ in rows:
        if seconds is not None:
            baselines.setdefault(group, (name, seconds))
    if device == "cuda":
        machine = torch.cuda.get_device_name()
    else:
        machine = f"{_cpu_name()}, {threads} threads of {os.cpu_count()} CPUs"
    lines = [
        f"# {title} on {device}",
        "",
        f"{workload} Machine: {machine}; torch {torch.__version__}, {platform.system()}. "
        "Median seconds of interleaved rounds; ratio = time / time of the group's baseline.",
        "",
        "| group | implementation | seconds | ratio | baseline | note |",
        "|---|---|---:|---:|---|---|",
    ]
    for group, name, seconds, note in rows:
        base_name, base = baselines.get(group, ("-", None))
        if seconds is None:
            lines.append(f"| {group} | {name} | - | - | {base_name} | {note} |")
            continue
        ratio = f"{seconds / base:.2f}" if base else "-"
        lines.append(f"| {group} | {name} | {seconds:.4f} | {ratio} | {base_name} | {note} |")
    return "\n".join(lines) + "\n"


def main(
    name: str, title: str, workload: str, plan: Callable[[str], Plan], doc: str | None
) -> None:
    """Command line: ``--device cpu|cuda|all --threads N --warmup N --repeats N``."""
    parser = argparse.ArgumentParser(description=(doc or title).splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (torch)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        if args.device == "cuda":
            raise SystemExit("--device cuda: no CUDA device is available")
        devices.remove("cuda")
    RESULTS.mkdir(exist_ok=True)
    for device in devices:
        rows = measure(plan(device), device, args.warmup, args.repeats)
        text = table(title, workload, device, rows, args.threads)
        (RESULTS / f"{name}-{device}.md").write_text(text)
        print(text)
