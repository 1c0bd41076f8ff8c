"""Memory of the Python layers on long recordings: peak memory per minute of stereo 44.1 kHz
audio, the whole recording at once against a stream of 1 s chunks.

Each row runs in a fresh process: it builds the layer and the input (one minute of stereo
float32 audio, 21 MiB), then reads the process's peak resident memory (``ru_maxrss``) before
and after the call; the difference is what the call needed on top of its input (including
first-call allocations of the layer). The stream
rows push the same minute in 1 s chunks through ``torchspec.stream(layer)``: their memory is
one chunk's worth, whatever the recording's length.

Measured (2-thread AMD EPYC, torch 2.13.0+cpu; ``results/memory-cpu.md``, 4 minutes): the
whole recording at once needs 97 (mel, MFCC), 113 (power spectrogram) and 184 (CQT) MiB per
audio minute, 6-11 GiB per hour; the same minutes streamed in 1 s chunks 13-23 MiB in all, the
same at 2 and at 4 minutes.

Usage: python benchmarks/bench_memory.py [--minutes 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from harness import RESULTS, _cpu_name

LAYERS = {
    "Spectrogram (power, n_fft 2048, hop 512)": ("torchspec.Spectrogram(2048, hop_length=512)"),
    "MelSpectrogram (n_fft 2048, hop 512, 128 mels)": (
        "torchspec.MelSpectrogram(44100, n_fft=2048, hop_length=512, n_mels=128)"
    ),
    "MFCC (40, log mels, n_fft 2048, hop 512)": (
        "torchspec.MFCC(44100, n_mfcc=40, log_mels=True, "
        "melkwargs={'n_fft': 2048, 'hop_length': 512})"
    ),
    "CQT (84 bins, hop 512)": "torchspec.CQT(44100, hop_length=512, n_bins=84)",
}

CHILD = """
import json, resource, sys, warnings
import torch, torchspec
warnings.simplefilter("ignore")
torch.set_num_threads(2)
layer = eval(sys.argv[1])
minutes, streamed = float(sys.argv[2]), sys.argv[3] == "stream"
x = torch.randn(2, int(44100 * 60 * minutes)).mul_(0.1)  # in place: no second copy
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
with torch.no_grad():
    if streamed:
        stream = torchspec.stream(layer)
        for chunk in x.split(44100, dim=-1):
            stream.push(chunk)
        stream.flush()
    else:
        layer(x)
print(json.dumps({"bytes": peak() - before}))
"""


def measure(expression: str, minutes: float, mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, expression, str(minutes), mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args()
    lines = [
        "# Memory on long recordings on cpu",
        "",
        f"{args.minutes:g} min of stereo 44.1 kHz float32 audio; peak resident memory added by "
        f"the call (ru_maxrss, fresh process per row). The stream's figure does not grow with the "
        f"recording's length. Machine: {_cpu_name()}, 2 threads.",
        "",
        "| layer | whole recording, MiB per audio minute | 1 s chunks through a stream, MiB |",
        "|---|---:|---:|",
    ]
    for name, expression in LAYERS.items():
        whole = measure(expression, args.minutes, "whole") / 2**20 / args.minutes
        streamed = measure(expression, args.minutes, "stream") / 2**20
        lines.append(f"| {name} | {whole:.1f} | {streamed:.1f} |")
        print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory-cpu.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
