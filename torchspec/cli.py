"""The ``torchspec`` command."""

from __future__ import annotations

import argparse
import math
import sys

import torch

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="torchspec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="analyse generated audio and print checkable numbers")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
