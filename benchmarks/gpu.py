"""GPU benchmark: torchspec against torchaudio and nnAudio (where installed), one command.

Rows: STFT (power), MelSpectrogram (128 mels), MFCC (40), CQT (84 bins), Griffin-Lim (32
iterations), the trainable STFT forward + backward, and the presets KaldiFbank (against
torchaudio.compliance.kaldi.fbank, one utterance at a time as it works) and WhisperLogMel
(against whisper's log_mel_spectrogram per utterance, where whisper is installed), at batch
1/16/64/256 x 10 s of 16 kHz audio, in float32 and under bfloat16 autocast. For each: time per
batch (CUDA events, warm-up, median of --repeats >= 20), throughput in audio seconds per second,
peak memory (``torch.cuda.max_memory_allocated``) and the fraction of a copy-bandwidth roofline:
the bytes the op must at least read and write (input and output once) over the time, divided by
the measured device-to-device copy bandwidth. Results go to
``benchmarks/results/gpu-<name>.json`` and a Markdown table beside it.

Usage (on a GPU machine):  python benchmarks/gpu.py
Smoke run anywhere:        python benchmarks/gpu.py --device cpu --batches 1 --seconds 1 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from harness import optional_import

import torchspec

RESULTS = Path(__file__).parent / "results"
RATE = 16000


def timer(device: torch.device, fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``fn`` after two warm-up calls (CUDA events on a GPU)."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1000)
        else:
            begin = time.perf_counter()
            fn()
            times.append(time.perf_counter() - begin)
    return statistics.median(times)


def copy_bandwidth(device: torch.device) -> float:
    """Bytes per second of a device-to-device copy of 512 MB (read + write counted)."""
    size = 128 * 1024 * 1024  # float32 elements
    source = torch.empty(size, device=device)
    target = torch.empty_like(source)
    seconds = timer(device, lambda: target.copy_(source), 10)
    return 2 * source.numel() * source.element_size() / seconds


def layers(device: torch.device) -> dict[str, tuple[Callable[[], torch.nn.Module], bool]]:
    """name -> (builder, trains): the torchspec rows."""
    return {
        "STFT": (lambda: torchspec.Spectrogram(512, hop_length=160), False),
        "MelSpectrogram": (
            lambda: torchspec.MelSpectrogram(RATE, n_fft=512, hop_length=160),
            False,
        ),
        "MFCC": (
            lambda: torchspec.MFCC(RATE, 40, melkwargs={"n_fft": 512, "hop_length": 160}),
            False,
        ),
        "CQT": (lambda: torchspec.CQT(RATE, hop_length=160, f_min=32.7, n_bins=84), False),
        "GriffinLim": (lambda: torchspec.GriffinLim(512, 32, hop_length=160), False),
        "STFT trainable fwd+bwd": (
            lambda: torchspec.Spectrogram(512, hop_length=160, trainable=True),
            True,
        ),
        "KaldiFbank": (lambda: torchspec.presets.KaldiFbank(), False),
        "WhisperLogMel": (lambda: torchspec.presets.WhisperLogMel(), False),
    }


class PerUtterance(torch.nn.Module):
    """A per-utterance feature function as a layer: ``fn`` on each item, results stacked."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], *, channel: bool) -> None:
        super().__init__()
        self.fn, self.channel = fn, channel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.fn(item[None] if self.channel else item) for item in x])


def peers(name: str) -> dict[str, Callable[[], torch.nn.Module]]:
    out: dict[str, Callable[[], torch.nn.Module]] = {}
    torchaudio = optional_import("torchaudio")
    if not isinstance(torchaudio, str):
        transforms = torchaudio.transforms
        table = {
            "STFT": lambda: transforms.Spectrogram(512, hop_length=160),
            "MelSpectrogram": lambda: transforms.MelSpectrogram(RATE, n_fft=512, hop_length=160),
            "MFCC": lambda: transforms.MFCC(RATE, 40, melkwargs={"n_fft": 512, "hop_length": 160}),
            "GriffinLim": lambda: transforms.GriffinLim(512, 32, hop_length=160),
        }
        if name in table:
            out["torchaudio"] = table[name]
    compliance = optional_import("torchaudio.compliance.kaldi")
    if name == "KaldiFbank" and not isinstance(compliance, str):
        out["torchaudio.compliance"] = lambda: PerUtterance(compliance.fbank, channel=True)
    whisper = optional_import("whisper")
    if name == "WhisperLogMel" and not isinstance(whisper, str):
        out["whisper"] = lambda: PerUtterance(whisper.log_mel_spectrogram, channel=False)
    nnaudio = optional_import("nnAudio.features")
    if not isinstance(nnaudio, str):
        table = {
            "STFT": lambda: nnaudio.STFT(
                n_fft=512, hop_length=160, output_format="Magnitude", verbose=False
            ),
            "MelSpectrogram": lambda: nnaudio.MelSpectrogram(
                RATE, 512, hop_length=160, verbose=False
            ),
            "CQT": lambda: nnaudio.CQT1992v2(RATE, 160, 32.7, n_bins=84, verbose=False),
            "STFT trainable fwd+bwd": lambda: nnaudio.STFT(
                n_fft=512, hop_length=160, trainable=True, output_format="Magnitude", verbose=False
            ),
        }
        if name in table:
            out["nnAudio"] = table[name]
    return out


def measure(
    make: Callable[[], torch.nn.Module],
    trains: bool,
    name: str,
    x: torch.Tensor,
    autocast: bool,
    repeats: int,
) -> dict[str, float]:
    device = x.device
    layer = make().to(device)
    inputs = x
    if name == "GriffinLim":
        with torch.no_grad():
            inputs = torchspec.Spectrogram(512, hop_length=160).to(device)(x)

    def step() -> object:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            if trains:
                out = layer(inputs)
                out.float().sum().backward()
                return out
            with torch.no_grad():
                return layer(inputs)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds = timer(device, step, repeats)
    out = step()
    assert isinstance(out, torch.Tensor)
    moved = inputs.numel() * inputs.element_size() + out.numel() * out.element_size()
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    return {"seconds": seconds, "bytes": moved, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", default=None, help="JSON path (default results/gpu-<name>.json)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here (use --device cpu for a smoke run)")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    bandwidth = copy_bandwidth(device)
    rows = []
    for label, (make, trains) in layers(device).items():
        implementations = {"torchspec": make, **peers(label)}
        for batch in args.batches:
            x = torch.randn(batch, int(args.seconds * RATE), device=device)
            for autocast in (False, True):
                for implementation, build in implementations.items():
                    try:
                        result = measure(build, trains, label, x, autocast, args.repeats)
                    except Exception as exc:  # a peer that cannot run this case
                        rows.append(
                            {
                                "layer": label,
                                "implementation": implementation,
                                "batch": batch,
                                "bf16": autocast,
                                "error": str(exc)[:200],
                            }
                        )
                        continue
                    audio_seconds = batch * args.seconds
                    rows.append(
                        {
                            "layer": label,
                            "implementation": implementation,
                            "batch": batch,
                            "bf16": autocast,
                            "ms": 1000 * result["seconds"],
                            "audio_s_per_s": audio_seconds / result["seconds"],
                            "peak_mb": result["peak_mb"],
                            "roofline": result["bytes"] / result["seconds"] / bandwidth,
                        }
                    )
                    print(json.dumps(rows[-1]), flush=True)
    report = {
        "device": name,
        "torch": torch.__version__,
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "seconds_per_item": args.seconds,
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in name).strip("-").lower() or "device"
    path = Path(args.out) if args.out else RESULTS / f"gpu-{slug}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        f"# torchspec on {name}",
        "",
        f"torch {torch.__version__}; copy bandwidth {bandwidth / 1e9:.0f} GB/s; "
        f"{args.seconds:g} s of 16 kHz audio per item; median of {args.repeats}.",
        "",
        "| layer | implementation | batch | bf16 | ms | audio s / s | peak MB | roofline |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(
                f"| {row['layer']} | {row['implementation']} | {row['batch']} | "
                f"{row['bf16']} | - | - | - | {row['error'][:40]} |"
            )
            continue
        lines.append(
            f"| {row['layer']} | {row['implementation']} | {row['batch']} | {row['bf16']} | "
            f"{row['ms']:.2f} | {row['audio_s_per_s']:.0f} | {row['peak_mb']:.0f} | "
            f"{row['roofline']:.2f} |"
        )
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
