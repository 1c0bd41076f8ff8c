"""``torchspec extract`` beyond one process: the local engine against the Ray engine (1 and 2
CPU feature actors) on the same files, and the cost of discovering and planning many files.

Throughput: 144 generated WAV files of 10 s at 44.1 kHz stereo (resampled to 22.05 kHz on
load), mel features (n_fft 2048, hop 512, 128 mels), batch size 8, fresh output folder each.
Ray is timed twice in one local instance: the first run ("cold": its worker processes start
and import torch) and a second run on a fresh output folder ("warm"); starting the instance
(``ray.init``) is timed on its own. Ray is
started with 3 logical CPUs so that 2 CPU actors (one CPU each) leave room for decoding tasks
on this 2-core machine: it oversubscribes the cores.

Scale: N tiny WAV files (10 samples each) in 100 folders; discovery (``discover``) and
planning (``make_plan``: manifest lookup and one header read per file) timed in a fresh
process per N, with the peak of Python's allocations during them (tracemalloc, which also
slows them: the times are upper bounds).

Measured (2-thread AMD EPYC, torch 2.13.0+cpu): the local engine 2.2 s for the 144 files, Ray
8.2-9.0 s warm (3.8-4.1x) plus 2-3 s to start; with 48 files Ray took 6.8-8.3 s warm, so
nearly all of Ray's time here is a fixed cost per run (starting the actor pool, its processes
importing torch, scheduling), about 7 s, and the 96 more files cost it under a second: on this
2-core machine the local engine is the faster one; Ray is for many machines and GPUs.
Discovering and planning grow linearly: 346-378 microseconds and about 1 KiB per file from
10,000 to 100,000 files.

Writes ``benchmarks/results/extract-scale-cpu.md``.

Usage: python benchmarks/bench_extract_scale.py [--threads 2] [--sizes 10000 30000 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from harness import RESULTS, _cpu_name

from torchspec.extract import run
from torchspec.features import FeatureSpec

N_FILES, SECONDS, RATE = 144, 10.0, 44100

PLAN_ONLY = """
import json, sys, time, tracemalloc
from torchspec.extract import discover, make_plan
tracemalloc.start()
start = time.perf_counter()
items = discover([sys.argv[1]])
found = time.perf_counter()
plan = make_plan(items, {}, params_id="x", output_format="npy", max_seconds=600, batch_size=8)
done = time.perf_counter()
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"files": len(items), "discover": found - start, "plan": done - found,
                  "batches": len(plan.batches), "peak_mib": peak / 2**20}))
"""


def throughput(folder: Path, threads: int) -> list[tuple[str, float, float, float]]:
    import ray

    corpus = folder / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(0)
    for i in range(N_FILES):
        data = 0.1 * rng.standard_normal((int(SECONDS * RATE), 2)).astype(np.float32)
        soundfile.write(corpus / f"clip{i:03d}.wav", data, RATE)
    spec = FeatureSpec(feature="mel", sample_rate=22050)
    rows = []
    start = time.perf_counter()
    summary = run([corpus], folder / "local", spec, batch_size=8, progress=False)
    seconds = time.perf_counter() - start
    assert summary.done == N_FILES
    rows.append(("local", seconds, 0.0, seconds))  # no start, no second run: one process
    for actors in (1, 2):
        start = time.perf_counter()
        ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, logging_level="error")
        started = time.perf_counter() - start
        times = []
        for attempt in ("cold", "warm"):
            out = folder / f"ray{actors}-{attempt}"
            begin = time.perf_counter()
            summary = run(
                [corpus], out, spec, engine="ray", ray_actors=actors, batch_size=8, progress=False
            )
            times.append(time.perf_counter() - begin)
            assert summary.done == N_FILES
        ray.shutdown()
        rows.append((f"ray, {actors} CPU actor{'s' * (actors > 1)}", times[0], started, times[1]))
    return rows


def scale(folder: Path, sizes: list[int]) -> list[dict[str, float]]:
    tiny = np.zeros(10, dtype=np.int16)
    rows = []
    made = 0
    corpus = folder / "tiny"
    for size in sorted(sizes):
        while made < size:
            sub = corpus / f"d{made % 100:02d}"
            sub.mkdir(parents=True, exist_ok=True)
            soundfile.write(sub / f"f{made:06d}.wav", tiny, 16000)
            made += 1
        result = subprocess.run(
            [sys.executable, "-c", PLAN_ONLY, str(corpus)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(result.stdout))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 30000, 100000])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        engines = throughput(Path(folder), args.threads)
    with tempfile.TemporaryDirectory() as folder:
        planning = scale(Path(folder), args.sizes)
    hours = N_FILES * SECONDS / 3600
    local = engines[0][1]
    lines = [
        "# torchspec extract: local and Ray engines, and planning many files",
        "",
        f"Machine: {_cpu_name()}, {args.threads} torch threads in the local engine; "
        f"torch {torch.__version__}.",
        "",
        f"## Throughput: {N_FILES} WAV files x {SECONDS:.0f} s, 44.1 kHz stereo -> 22.05 kHz, "
        "mel 128",
        "",
        "| engine | Ray start s | cold run s | warm run s | files / s (warm) | "
        "audio hours / s (warm) | warm time vs local |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, cold, started, warm in engines:
        lines.append(
            f"| {name} | {started:.2f} | {cold:.2f} | {warm:.2f} | {N_FILES / warm:.1f} | "
            f"{hours / warm:.3f} | {warm / local:.2f}x |"
        )
    lines += [
        "",
        "## Discovering and planning N tiny files (100 folders)",
        "",
        "| files | discover s | plan s | microseconds / file | peak MiB | KiB / file |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in planning:
        total = row["discover"] + row["plan"]
        lines.append(
            f"| {row['files']} | {row['discover']:.2f} | {row['plan']:.2f} | "
            f"{1e6 * total / row['files']:.0f} | {row['peak_mib']:.1f} | "
            f"{1024 * row['peak_mib'] / row['files']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "extract-scale-cpu.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
