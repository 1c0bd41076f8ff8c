"""Extraction throughput of ``torchspec extract`` (audio hours per second), decode workers on
and off.

Corpus: 48 generated WAV files of 10 s at 44.1 kHz stereo (resampled to 22.05 kHz on load),
mel features (n_fft 2048, hop 512, 128 mels), batch size 8. Each configuration runs on a fresh
output folder. Writes ``benchmarks/results/extract-<device>.md``.

Usage: python benchmarks/bench_extract.py [--device cpu|cuda] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from harness import RESULTS, _cpu_name

from torchspec.extract import run
from torchspec.features import FeatureSpec

N_FILES, SECONDS, RATE = 48, 10.0, 44100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = FeatureSpec(feature="mel", sample_rate=22050)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        corpus.mkdir()
        rng = np.random.default_rng(0)
        for i in range(N_FILES):
            data = 0.1 * rng.standard_normal((int(SECONDS * RATE), 2)).astype(np.float32)
            soundfile.write(corpus / f"clip{i:03d}.wav", data, RATE)
        hours = N_FILES * SECONDS / 3600
        for workers in (0, 2):
            out = Path(folder) / f"out{workers}"
            start = time.perf_counter()
            summary = run(
                [corpus],
                out,
                spec,
                device=args.device,
                batch_size=8,
                workers=workers,
                progress=False,
            )
            seconds = time.perf_counter() - start
            assert summary.done == N_FILES
            rows.append((workers, seconds, hours / seconds))
    machine = torch.cuda.get_device_name() if args.device == "cuda" else _cpu_name()
    lines = [
        f"# torchspec extract throughput on {args.device}",
        "",
        f"{N_FILES} WAV files x {SECONDS:.0f} s, 44.1 kHz stereo -> 22.05 kHz, mel 128. "
        f"Machine: {machine}, {args.threads} torch threads; torch {torch.__version__}.",
        "",
        "| decode workers | seconds | audio hours / s |",
        "|---:|---:|---:|",
        *(f"| {w} | {s:.2f} | {r:.3f} |" for w, s, r in rows),
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"extract-{args.device}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
