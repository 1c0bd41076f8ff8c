"""Peak memory of ``torchspec extract`` with one long file among short ones, default settings.

For each length (1, 10, 20 and 60 minutes of 44.1 kHz stereo WAV, the worst common case for
decoding) the long file sits in a folder with 8 clips of 10 s; the command runs in a fresh
process (default feature: mel at 22.05 kHz, --max-batch-seconds 600) and its peak resident
memory (ru_maxrss of the child) and wall time are reported. Writes
``benchmarks/results/extract-memory-cpu.md``.

Usage: python benchmarks/bench_extract_memory.py [--minutes 1 10 20 60] [--feature mel]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

RESULTS = Path(__file__).parent / "results"
RATE = 44100


def write_wav(path: Path, seconds: float, seed: int) -> None:
    """A stereo chirp plus noise, written in blocks so the writer's memory stays small."""
    rng = np.random.default_rng(seed)
    block = 60 * RATE
    total = int(seconds * RATE)
    with soundfile.SoundFile(path, "w", RATE, 2, subtype="PCM_16") as handle:
        for start in range(0, total, block):
            n = min(block, total - start)
            t = (start + np.arange(n)) / RATE
            tone = 0.3 * np.sin(2 * np.pi * (200 + 50 * np.sin(t / 7)) * t)
            noise = 0.02 * rng.standard_normal((n, 2))
            handle.write((tone[:, None] + noise).astype(np.float32))


def peak_of(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after <= before:  # ru_maxrss of children is a running maximum
        raise RuntimeError("run the lengths from short to long: the maximum did not grow")
    return after / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 20, 60])
    parser.add_argument("--feature", default="mel")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for minutes in sorted(args.minutes):
            folder = root / f"in-{minutes:g}"
            folder.mkdir()
            for i in range(8):
                write_wav(folder / f"short{i}.wav", 10.0, i)
            write_wav(folder / "long.wav", minutes * 60, 99)
            command = [
                sys.executable,
                "-m",
                "torchspec",
                "extract",
                str(folder),
                "--out",
                str(root / f"out-{minutes:g}"),
                "--feature",
                args.feature,
            ]
            peak, seconds = peak_of(command)
            rows.append((minutes, peak, seconds))
            print(f"{minutes:g} min: peak {peak:.0f} MB, {seconds:.1f} s", flush=True)
            for path in folder.iterdir():
                path.unlink()
    lines = [
        "# torchspec extract peak memory on cpu",
        "",
        f"One 44.1 kHz stereo WAV of the given length among 8 clips of 10 s; `torchspec extract "
        f"--feature {args.feature}` with default settings (22.05 kHz, --max-batch-seconds 600)."
        f" torch {torch.__version__}. Peak resident memory of the extract process.",
        "",
        "| long file | peak memory (MB) | wall time (s) |",
        "|---:|---:|---:|",
        *[f"| {m:g} min | {p:.0f} | {s:.1f} |" for m, p, s in rows],
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "extract-memory-cpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
