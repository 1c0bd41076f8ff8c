"""The ``torchspec`` command."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import torch

from .features import FEATURES, FeatureSpec
from .spectrogram import InverseSpectrogram, Spectrogram


def demo(sample_rate: int = 22050) -> int:
    """Analyse two seconds of generated audio and print numbers a person can check.

    Tones at 440 Hz and 1000 Hz must appear as the strongest bins of both the linear and the
    log-frequency STFT, and the inverse STFT must give the waveform back.
    """
    tones = (440.0, 1000.0)
    t = torch.arange(2 * sample_rate, dtype=torch.float64) / sample_rate
    audio = sum(torch.sin(2 * math.pi * f * t) for f in tones).float()
    print(f"torchspec demo: 2.0 s of {tones[0]:.0f} Hz + {tones[1]:.0f} Hz at {sample_rate} Hz")

    linear = Spectrogram(2048, hop_length=512, sample_rate=sample_rate)
    log = Spectrogram(  # 48 bins per octave over the 7 octaves from A1 to A8
        8192,
        hop_length=512,
        freq_scale="log",
        f_min=55.0,
        f_max=7040.0,
        n_bins=7 * 48 + 1,
        sample_rate=sample_rate,
    )
    for name, layer in (("linear STFT", linear), ("log-frequency STFT", log)):
        spec = layer(audio)
        found = _two_peaks(spec.mean(dim=-1), layer.frequencies)
        print(f"  {name:<19} shape {tuple(spec.shape)}: strongest bins at {found} Hz")

    forward = Spectrogram(1024, hop_length=256, power=None)
    inverse = InverseSpectrogram.from_spectrogram(forward)
    back = inverse(forward(audio), audio.shape[-1])
    error = float((back - audio).norm() / audio.norm())
    print(f"  STFT -> inverse STFT round trip: relative error {error:.1e}")
    return 0


def _two_peaks(profile: torch.Tensor, freqs: torch.Tensor) -> list[float]:
    """Frequencies (Hz) of the strongest bin and of the strongest one not beside it."""
    order = [int(i) for i in torch.argsort(profile, descending=True)]
    second = next(i for i in order[1:] if abs(i - order[0]) > 2)
    return sorted(round(float(freqs[i]), 1) for i in (order[0], second))


def _feature_options(parser: argparse.ArgumentParser) -> None:
    defaults = FeatureSpec()
    parser.add_argument("--feature", choices=FEATURES, default=defaults.feature)
    parser.add_argument(
        "--sample-rate",
        type=int,
        default=defaults.sample_rate,
        help="resample every file to this rate (Hz)",
    )
    parser.add_argument("--n-fft", type=int, default=defaults.n_fft)
    parser.add_argument("--hop", type=int, default=defaults.hop_length, help="hop length")
    parser.add_argument("--n-mels", type=int, default=defaults.n_mels)
    parser.add_argument("--n-mfcc", type=int, default=defaults.n_mfcc)
    parser.add_argument("--f-min", type=float, default=None, help="Hz")
    parser.add_argument("--f-max", type=float, default=None, help="Hz")
    parser.add_argument("--n-bins", type=int, default=None, help="logstft / cqt / vqt bins")
    parser.add_argument("--bins-per-octave", type=int, default=defaults.bins_per_octave)


def _spec(args: argparse.Namespace) -> FeatureSpec:
    return FeatureSpec(
        feature=args.feature,
        sample_rate=args.sample_rate,
        n_fft=args.n_fft,
        hop_length=args.hop,
        n_mels=args.n_mels,
        n_mfcc=args.n_mfcc,
        f_min=args.f_min,
        f_max=args.f_max,
        n_bins=args.n_bins,
        bins_per_octave=args.bins_per_octave,
    )


DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
}


def extract_command(args: argparse.Namespace) -> int:
    from .extract import MANIFEST, run

    try:
        summary = run(
            args.inputs,
            args.out,
            _spec(args),
            device=args.device,
            dtype=DTYPES[args.dtype],
            batch_size=args.batch_size,
            workers=args.workers,
        )
    except (FileNotFoundError, ValueError) as exc:  # bad inputs or feature parameters
        print(f"torchspec extract: {exc}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", 0)) != 0:
        return 1 if summary.failed else 0
    hours = summary.audio_seconds / 3600
    rate = hours / summary.elapsed if summary.elapsed > 0 else 0.0
    print(
        f"torchspec extract: {summary.done} done, {summary.skipped} skipped, "
        f"{summary.failed} failed; {hours:.4f} audio hours in {summary.elapsed:.1f} s "
        f"({rate:.3f} audio hours/s)"
    )
    for failure in summary.failures:
        print(f"  failed: {failure}")
    print(f"features in {Path(args.out).resolve()}, manifest {Path(args.out).resolve() / MANIFEST}")
    return 1 if summary.failed else 0


def plot_command(args: argparse.Namespace) -> int:
    from .audio import load
    from .plotting import plot

    spec = _spec(args)
    waveform, _ = load(args.file, sample_rate=spec.sample_rate, mono=True)
    layer = spec.build()
    with torch.no_grad():
        feature = layer(waveform)[0]
    figure = plot(
        feature,
        layer,
        sample_rate=spec.sample_rate,
        hop_length=spec.hop_length,
        title=f"{Path(args.file).name}: {spec.feature}",
    )
    figure.savefig(args.out, dpi=120, bbox_inches="tight")
    print(f"wrote {Path(args.out).resolve()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="torchspec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="analyse generated audio and print checkable numbers")
    extract = commands.add_parser(
        "extract", help="features for files and folders (the bundled examples by default)"
    )
    extract.add_argument("inputs", nargs="*", help="files and folders (recursive)")
    extract.add_argument("--out", default="torchspec-features", help="output folder")
    _feature_options(extract)
    extract.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    extract.add_argument("--dtype", choices=list(DTYPES), default="float32")
    extract.add_argument("--batch-size", type=int, default=8)
    extract.add_argument("--workers", type=int, default=0, help="decoding worker processes")
    plot_parser = commands.add_parser("plot", help="draw one file's feature to an image")
    plot_parser.add_argument("file")
    plot_parser.add_argument("--out", default="torchspec-plot.png", help="image file")
    _feature_options(plot_parser)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    if args.command == "extract":
        return extract_command(args)
    return plot_command(args)


if __name__ == "__main__":
    sys.exit(main())
