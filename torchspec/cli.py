"""The ``torchspec`` command."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import __version__
from .extract import DTYPES, ENGINES, FORMATS, SHARD_MB
from .features import FEATURES, PRESETS, WINDOWS, FeatureSpec
from .frontend_file import SavedFrontend, load_frontend
from .spectrogram import InverseSpectrogram, Spectrogram


def demo(sample_rate: int = 22050) -> int:
    """Analyse two seconds of generated audio and print numbers a person can check.

    Tones at 440 Hz and 1000 Hz must appear as the strongest bins of both the linear and the
    log-frequency STFT, and the inverse STFT must give the waveform back.
    """
    tones = (440.0, 1000.0)
    t = torch.arange(2 * sample_rate, dtype=torch.float64) / sample_rate
    audio = (torch.sin(2 * math.pi * tones[0] * t) + torch.sin(2 * math.pi * tones[1] * t)).float()
    print(f"torchspec demo: 2.0 s of {tones[0]:.0f} Hz + {tones[1]:.0f} Hz at {sample_rate} Hz")

    linear = Spectrogram(2048, hop_length=512, sample_rate=sample_rate)
    log = Spectrogram(  # 48 bins per octave over the 5 octaves from A3 to A8 (every bin
        8192,  # at least one STFT bin, 2.7 Hz, from its neighbour: none repeats)
        hop_length=512,
        freq_scale="log",
        f_min=220.0,
        f_max=7040.0,
        n_bins=5 * 48 + 1,
        sample_rate=sample_rate,
    )
    for name, layer in (("linear STFT", linear), ("log-frequency STFT", log)):
        spec = layer(audio)
        hz = layer.frequencies
        assert hz is not None  # both layers have a sample_rate
        found = _two_peaks(spec.mean(dim=-1), hz)
        print(f"  {name:<19} shape {tuple(spec.shape)}: strongest bins at {found} Hz")

    forward = Spectrogram(1024, hop_length=256, power=None)
    inverse = InverseSpectrogram.from_spectrogram(forward)
    back = inverse(forward(audio), audio.shape[-1])
    error = float((back - audio).norm() / audio.norm())
    print(
        f"  STFT -> inverse STFT round trip: relative error {error:.0e}"
    )  # one digit: the next rounds by CPU
    return 0


def _two_peaks(profile: torch.Tensor, freqs: torch.Tensor) -> list[float]:
    """Frequencies (Hz) of the strongest bin and of the strongest one not beside it."""
    order = [int(i) for i in torch.argsort(profile, descending=True)]
    second = next(i for i in order[1:] if abs(i - order[0]) > 2)
    return sorted(round(float(freqs[i]), 1) for i in (order[0], second))


def _feature_options(parser: argparse.ArgumentParser) -> None:
    defaults = FeatureSpec()
    add = parser.add_argument
    add("--feature", choices=FEATURES, default=defaults.feature, help="what to compute")
    add(
        "--preset",
        choices=PRESETS,
        default=None,
        help="the exact features of a model or toolkit instead of --feature (whisper: "
        "WhisperLogMel 80 mels, whisper-128, kaldi-fbank / kaldi-mfcc: Kaldi's defaults, "
        "ast: the Audio Spectrogram Transformer's normalised 128-bin fbank, 1024 frames, "
        "librosa-mel / librosa-mfcc: librosa's defaults); fixes every size option (changing "
        "one beside it is an error), keeps --sample-rate for kaldi, ast and librosa "
        "(default none)",
    )
    add(
        "--sample-rate",
        type=int,
        default=None,
        help="resample to this rate in Hz (default 22050; whisper, kaldi and ast presets 16000)",
    )
    add("--n-fft", type=int, default=defaults.n_fft, help="STFT frame length (samples)")
    add("--win-length", type=int, default=None, help="window length (samples; default n_fft)")
    add("--hop", type=int, default=defaults.hop_length, help="hop length (samples)")
    add("--window", choices=list(WINDOWS), default=defaults.window, help="STFT window")
    add(
        "--center",
        action=argparse.BooleanOptionalAction,
        default=defaults.center,
        help="centre frames on t * hop (pad both ends)",
    )
    add(
        "--pad-mode",
        choices=["reflect", "constant", "replicate", "circular"],
        default=None,
        help="how --center pads (default: reflect for STFT features, constant for cqt/vqt)",
    )
    add("--power", type=float, default=None, help="magnitude exponent (default 2; cqt/vqt 1)")
    add("--n-mels", type=int, default=defaults.n_mels, help="mel bands (mel, mfcc)")
    add("--mel-scale", choices=["htk", "slaney"], default=defaults.mel_scale, help="mel scale")
    add("--norm", choices=["none", "slaney"], default="none", help="mel filter normalisation")
    add("--n-mfcc", type=int, default=defaults.n_mfcc, help="coefficients (mfcc)")
    add(
        "--f-min",
        type=float,
        default=None,
        help="lowest frequency in Hz (default 0; logstft and cqt/vqt first bin 32.70 Hz, C1)",
    )
    add("--f-max", type=float, default=None, help="highest frequency in Hz (default Nyquist)")
    add(
        "--n-bins",
        type=int,
        default=None,
        help="logstft / cqt / vqt bins (default n_fft // 2 + 1 / 84)",
    )
    add("--bins-per-octave", type=int, default=defaults.bins_per_octave, help="cqt / vqt")
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument(
        "--db",
        action="store_true",
        help="decibels: power_to_db with ref = each file's peak, floored --top-db below it",
    )
    scale.add_argument("--log", action="store_true", help="natural log of (x + --log-offset)")
    add("--top-db", type=float, default=defaults.top_db, help="dB floor below the peak (--db)")
    add("--log-offset", type=float, default=defaults.log_offset, help="offset for --log")
    add(
        "--deltas",
        type=int,
        choices=[0, 1, 2],
        default=defaults.deltas,
        help="append deltas of orders 1 .. N below the feature's rows, as Kaldi's add-deltas "
        "(compute-deltas, window 2); any feature or preset",
    )


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: ...)`` except where the default is None (the help says it in words)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


# Options a preset fixes (its reference's own values); --sample-rate, --db/--log, --top-db and
# --pcen are checked by FeatureSpec.
PRESET_FIXES = (
    "n_fft",
    "win_length",
    "hop",
    "window",
    "center",
    "pad_mode",
    "power",
    "n_mels",
    "mel_scale",
    "norm",
    "n_mfcc",
    "f_min",
    "f_max",
    "n_bins",
    "bins_per_octave",
    "log_offset",
)


def _refuse_preset_conflicts(args: argparse.Namespace) -> None:
    """A size option changed from its default together with --preset: the preset would
    silently ignore it (``--preset kaldi-fbank --n-mels 80`` gave 23 bands)."""
    defaults = argparse.ArgumentParser()
    _feature_options(defaults)
    changed = [
        "--" + name.replace("_", "-") + f" {getattr(args, name)}"
        for name in PRESET_FIXES
        if getattr(args, name) != defaults.get_default(name)
    ]
    if changed:
        raise ValueError(
            f"--preset {args.preset} fixes its own sizes, so {', '.join(changed)} would be "
            "ignored: leave them out, or use --feature to choose every option"
        )


def _spec(args: argparse.Namespace) -> FeatureSpec:
    if args.preset is not None:
        _refuse_preset_conflicts(args)
        spec = FeatureSpec.preset(args.preset, sample_rate=args.sample_rate)
        scale = "db" if args.db else "log" if args.log else "linear"
        return dataclasses.replace(spec, scale=scale, top_db=args.top_db, deltas=args.deltas)
    return FeatureSpec(
        feature=args.feature,
        sample_rate=args.sample_rate or FeatureSpec().sample_rate,
        n_fft=args.n_fft,
        win_length=args.win_length,
        hop_length=args.hop,
        window=args.window,
        center=args.center,
        pad_mode=args.pad_mode,
        power=args.power,
        n_mels=args.n_mels,
        mel_scale=args.mel_scale,
        norm=None if args.norm == "none" else args.norm,
        n_mfcc=args.n_mfcc,
        f_min=args.f_min,
        f_max=args.f_max,
        n_bins=args.n_bins,
        bins_per_octave=args.bins_per_octave,
        scale="db" if args.db else "log" if args.log else "linear",
        top_db=args.top_db,
        log_offset=args.log_offset,
        deltas=args.deltas,
    )


def _channels(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        channels = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--channels takes channel numbers like 0 or 0,1; got {text!r}") from None
    if not channels or min(channels) < 0:
        raise ValueError(f"--channels takes channel numbers >= 0; got {text!r}")
    return channels


def _extract_feature(args: argparse.Namespace) -> FeatureSpec | SavedFrontend:
    """The feature of ``--frontend``, else of the feature options."""
    if args.frontend is None:
        spec = _spec(args)
        return dataclasses.replace(spec, pcen=args.pcen) if args.pcen else spec
    if args.preset is not None or args.pcen:
        raise ValueError("--frontend replaces --preset and --pcen: give one of them")
    frontend = load_frontend(args.frontend)
    if args.sample_rate is not None and args.sample_rate != frontend.sample_rate:
        raise ValueError(
            f"--frontend {args.frontend} takes {frontend.sample_rate} Hz audio; "
            f"--sample-rate {args.sample_rate} disagrees (leave it out)"
        )
    return frontend


def extract_command(args: argparse.Namespace) -> int:
    from .extract import DTYPES, run
    from .outputs import MANIFEST, ExtractEnvironmentError

    try:
        summary = run(
            args.inputs,
            args.out,
            _extract_feature(args),
            engine=args.engine,
            output_format=args.format,
            shard_mb=args.shard_mb,
            ray_address=args.ray_address,
            ray_actors=args.ray_actors,
            device=args.device,
            dtype=DTYPES[args.dtype],
            batch_size=args.batch_size,
            workers=args.workers,
            max_batch_seconds=args.max_batch_seconds,
            mono=args.mono,
            channels=_channels(args.channels),
            wait=args.wait,
        )
    except (FileNotFoundError, ValueError, ExtractEnvironmentError, ImportError) as exc:
        print(f"torchspec extract: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # anything else the machine says no to
        print(f"torchspec extract: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
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
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("torchspec plot needs matplotlib: pip install 'torchspec[plot]'", file=sys.stderr)
        return 2
    try:
        figure = draw_file(args)
    except ValueError as exc:
        print(f"torchspec plot: {exc}", file=sys.stderr)
        return 2
    figure.savefig(args.out, dpi=120, bbox_inches="tight")
    print(f"wrote {Path(args.out).resolve()}")
    return 0


def draw_file(args: argparse.Namespace) -> Any:
    """The figure ``torchspec plot`` draws: the feature of an audio file (``--feature`` or
    ``--preset``), or an extract output (``.npy``, its feature read from the manifest), with
    the stored feature's orientation, rows and values (linear features in dB re the peak, the
    others as they are, labelled). Raises ValueError for what the user must fix."""
    from .audio import load
    from .plotting import plot

    path = Path(args.file)
    if path.suffix == ".npy":  # one of extract's outputs: its axes from the output folder
        spec, array = _stored_feature(path)
        feature = torch.from_numpy(array[0]).float()
    else:
        spec = _spec(args)
        waveform, _ = load(args.file, sample_rate=spec.sample_rate, mono=True)
        with torch.no_grad():
            feature = spec.build()(waveform)[0]
    pipeline = spec.pipeline()
    feature.power = spec.resolved_power() or 2.0  # type: ignore[attr-defined]
    rows = pipeline.rows()
    hz = rows.get("row_frequencies_hz")
    offset, _ = pipeline.frame_times()
    figure = plot(
        feature,
        sample_rate=spec.sample_rate,
        hop_length=spec.hop_length,
        frequencies=None if hz is None else torch.tensor(hz, dtype=torch.float64),
        label=pipeline.drawn_as(),
        time_offset=offset,
        rows_label=str(rows.get("rows_label", "coefficient")),
        title=f"{path.name}: {spec.feature}",
    )
    return figure


def _stored_feature(path: Path) -> tuple[FeatureSpec, np.ndarray]:
    """An extract output and the spec that made it, from the manifest of the output folder
    that holds it (the newest record that wrote this file)."""
    from .outputs import MANIFEST, read_records

    try:
        array = np.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    target = path.resolve()
    for folder in target.parents:
        records = [
            r
            for r in read_records(folder / MANIFEST)
            if r.get("status") == "ok" and _resolved(folder, r.get("output")) == target
        ]
        if records:
            spec = FeatureSpec.from_dict(records[-1]["params"])
            if array.ndim != 3:
                raise ValueError(f"{path} holds shape {array.shape}, not (channels, rows, frames)")
            return spec, array
    raise ValueError(
        f"{path} is not listed in the manifest of an extract output folder above it; plot an "
        "audio file instead, or keep the .npy inside the folder extract wrote"
    )


def _resolved(folder: Path, output: object) -> Path | None:
    if not isinstance(output, str):
        return None
    candidate = Path(output)
    return (candidate if candidate.is_absolute() else folder / candidate).resolve()


def build_parser() -> argparse.ArgumentParser:
    """The ``torchspec`` command line: ``demo``, ``extract`` and ``plot``."""
    parser = argparse.ArgumentParser(
        prog="torchspec",
        description="torchspec: audio features from the command line. demo checks the "
        "install, extract computes features for files and folders, plot draws one.",
    )
    parser.add_argument("--version", action="version", version=f"torchspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="analyse generated audio and print checkable numbers")
    extract = commands.add_parser(
        "extract",
        help="features for files and folders (the bundled examples by default)",
        formatter_class=_DefaultsFormatter,
        description="Compute a feature for every audio file and save it as DIR/<path>.npy, "
        "shape (channels, rows, frames), with DIR/manifest.jsonl and a torchspec-axes.json "
        "per folder. Exit status: 0 all done, 1 some files failed, 2 nothing could be done.",
    )
    extract.add_argument("inputs", nargs="*", help="files and folders (searched recursively)")
    extract.add_argument("--out", default="torchspec-features", help="output folder")
    _feature_options(extract)
    extract.add_argument("--mono", action="store_true", help="average the channels into one")
    extract.add_argument(
        "--channels", default=None, help="keep only these channels, e.g. 0 or 0,1 (default all)"
    )
    extract.add_argument(
        "--device", default="auto", help="auto, cpu, cuda or cuda:N (auto: cuda if available)"
    )
    extract.add_argument(
        "--dtype",
        choices=list(DTYPES),
        default="float32",
        help="stored dtype; float64 computes in float64, the others in float32 then cast",
    )
    extract.add_argument("--batch-size", type=int, default=8, help="most files per batch")
    extract.add_argument(
        "--max-batch-seconds",
        type=float,
        default=600.0,
        help="audio seconds per batch (count x longest); longer files run in exact pieces",
    )
    extract.add_argument(
        "--workers", type=int, default=0, help="decoding worker processes (local engine)"
    )
    extract.add_argument(
        "--pcen",
        action="store_true",
        help="per-channel energy normalisation of each file's mel spectrogram with "
        "librosa.pcen's defaults (--feature mel or --preset librosa-mel)",
    )
    extract.add_argument(
        "--frontend",
        default=None,
        metavar="FILE",
        help="compute with a saved module instead of --feature/--preset (torchspec."
        "save_frontend: TorchScript or torch.export, (batch, time) -> (batch, rows, frames), "
        "its sample rate in the file); each file runs alone through it (default none)",
    )
    extract.add_argument(
        "--format",
        choices=list(FORMATS),
        default="npy",
        help="npy: one DIR/<path>.npy per file; parquet: rows in DIR/shards/*.parquet",
    )
    extract.add_argument(
        "--shard-mb",
        type=float,
        default=SHARD_MB,
        help="Parquet shard size in MiB of features (each shard is buffered in memory)",
    )
    extract.add_argument(
        "--engine",
        choices=list(ENGINES),
        default="local",
        help="local: this process (torchrun for several); ray: Ray Data tasks and actors",
    )
    extract.add_argument(
        "--ray-address",
        default=None,
        help="Ray cluster to join: auto or ray://host:port (default: start one on this machine)",
    )
    extract.add_argument(
        "--ray-actors",
        type=int,
        default=None,
        help="feature actors (default: one per GPU of the cluster, else half its CPUs)",
    )
    extract.add_argument(
        "--wait", action="store_true", help="wait for another run using --out instead of failing"
    )
    plot_parser = commands.add_parser("plot", help="draw one file's feature to an image")
    plot_parser.add_argument("file")
    plot_parser.add_argument(
        "--out", default="torchspec-plot.png", help="image file (default: torchspec-plot.png here)"
    )
    _feature_options(plot_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return demo()
    if args.command == "extract":
        return extract_command(args)
    return plot_command(args)


if __name__ == "__main__":
    sys.exit(main())
