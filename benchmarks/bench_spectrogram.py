"""Spectrogram speed, side by side with its peers in one process.

Workload (the issue's): 16 clips x 10 s at 22.05 kHz, n_fft 2048, hop 512, Hann window,
power spectrogram |X|^2 (nnAudio computes |X|; the extra square root is in its time).

Rows (forward only, no autograd, unless trainable):
  complex     torch.stft and torchspec.Spectrogram(power=None).
  power       torch.stft + abs()**2 (what torchaudio computes), torchspec.Spectrogram,
              torchaudio (where it imports), nnAudio 0.3.4 STFT.
  trainable   torchspec.Spectrogram(trainable=True) and nnAudio STFT(trainable=True):
              forward + backward of output.sum() into the kernels; torchspec also under
              torch.autocast(bfloat16), which runs its convolution in bfloat16 (relative error
              ~1e-2: a user's choice, not the default).

Each time is the median of ``--repeats`` runs after ``--warmup`` runs (CUDA: synchronised).
All rows run in interleaved rounds. Ratios are to the group's baseline (first row).
Writes a Markdown table to ``benchmarks/results/spectrogram-<device>.md`` and prints it.

Usage: python benchmarks/bench_spectrogram.py [--device cpu|cuda|all] [--threads 2]
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

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP = 16, 10.0, 22050, 2048, 512
RESULTS = Path(__file__).parent / "results"


def _median_seconds(
    fns: list[Callable[[], object]], device: str, warmup: int, repeats: int
) -> list[float]:
    """Median time of each function, measured in interleaved rounds so drift hits all alike."""

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


def _peers(device: str) -> dict[str, object]:
    """Optional peers: name -> module or the reason it is missing."""
    found: dict[str, object] = {}
    try:
        import torchaudio

        found["torchaudio"] = torchaudio
    except (ImportError, OSError) as exc:
        found["torchaudio"] = f"not importable ({type(exc).__name__})"
    try:
        from nnAudio.features import STFT

        found["nnAudio"] = STFT
    except (ImportError, OSError) as exc:
        found["nnAudio"] = f"not importable ({type(exc).__name__})"
    return found


Row = tuple[str, str, "float | None", str]


def run(device: str, warmup: int, repeats: int) -> list[Row]:
    """Time every row on ``device``; returns (group, name, seconds or None, note) rows."""
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    window = torch.hann_window(N_FFT, device=device)
    peers = _peers(device)
    planned: list[tuple[str, str, Callable[[], object] | None, str]] = []

    def no_grad(fn: Callable[[], object]) -> Callable[[], object]:
        return torch.no_grad()(fn)

    def stft() -> torch.Tensor:
        return torch.stft(audio, N_FFT, HOP, window=window, return_complex=True)

    complex_layer = torchspec.Spectrogram(N_FFT, hop_length=HOP, power=None, device=device)
    power_layer = torchspec.Spectrogram(N_FFT, hop_length=HOP, device=device)
    planned += [
        ("complex", "torch.stft", no_grad(stft), ""),
        ("complex", "torchspec.Spectrogram(power=None)", no_grad(lambda: complex_layer(audio)), ""),
        ("power", "torch.stft + abs()**2", no_grad(lambda: stft().abs() ** 2), ""),
        ("power", "torchspec.Spectrogram", no_grad(lambda: power_layer(audio)), ""),
    ]
    if isinstance(peers["torchaudio"], str):
        planned.append(("power", "torchaudio.transforms.Spectrogram", None, peers["torchaudio"]))
    else:
        theirs = peers["torchaudio"].transforms.Spectrogram(N_FFT, hop_length=HOP).to(device)
        planned.append(
            ("power", "torchaudio.transforms.Spectrogram", no_grad(lambda: theirs(audio)), "")
        )
    if isinstance(peers["nnAudio"], str):
        planned.append(("power", "nnAudio STFT", None, peers["nnAudio"]))
        planned.append(("trainable", "nnAudio STFT", None, peers["nnAudio"]))
    else:
        nn_fixed = peers["nnAudio"](
            n_fft=N_FFT, hop_length=HOP, output_format="Magnitude", verbose=False
        ).to(device)
        nn_train = peers["nnAudio"](
            n_fft=N_FFT, hop_length=HOP, output_format="Magnitude", trainable=True, verbose=False
        ).to(device)
        planned.append(("power", "nnAudio STFT", no_grad(lambda: nn_fixed(audio)), "|X|"))
        planned.append(
            ("trainable", "nnAudio STFT", lambda: nn_train(audio).sum().backward(), "|X|")
        )

    trainable = torchspec.Spectrogram(N_FFT, hop_length=HOP, trainable=True, device=device)

    def autocast_step() -> None:
        with torch.autocast(device, dtype=torch.bfloat16):
            out = trainable(audio)
        out.float().sum().backward()

    planned += [
        ("trainable", "torchspec.Spectrogram", lambda: trainable(audio).sum().backward(), ""),
        ("trainable", "torchspec.Spectrogram, bf16 autocast", autocast_step, "bf16 GEMMs"),
    ]
    runnable = [fn for _, _, fn, _ in planned if fn is not None]
    medians = iter(_median_seconds(runnable, device, warmup, repeats))
    return [(g, n, None if fn is None else next(medians), note) for g, n, fn, note in planned]


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


BASELINES = {"complex": "torch.stft", "power": "torch.stft + abs()**2", "trainable": "nnAudio STFT"}


def table(device: str, rows: list[Row], threads: int) -> str:
    base = {g: next(t for g2, n, t, _ in rows if g2 == g and n == b) for g, b in BASELINES.items()}
    base_name = BASELINES
    if device == "cuda":
        machine = torch.cuda.get_device_name()
    else:
        machine = f"{_cpu_name()}, {threads} threads of {os.cpu_count()} CPUs"
    lines = [
        f"# Spectrogram on {device}",
        "",
        f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}. "
        f"Machine: {machine}; torch {torch.__version__}, {platform.system()}. "
        "Median seconds; ratio = time / time of the group's baseline.",
        "",
        "| group | implementation | seconds | ratio | baseline | note |",
        "|---|---|---:|---:|---|---|",
    ]
    for group, name, seconds, note in rows:
        if seconds is None:
            lines.append(f"| {group} | {name} | - | - | {base_name[group]} | {note} |")
            continue
        ratio = f"{seconds / base[group]:.2f}" if base[group] else "-"
        lines.append(
            f"| {group} | {name} | {seconds:.4f} | {ratio} | {base_name[group]} | {note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        text = table(device, run(device, args.warmup, args.repeats), args.threads)
        (RESULTS / f"spectrogram-{device}.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
