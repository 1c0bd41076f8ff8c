"""Preset speed, side by side with the references they reproduce, in one run.

Workload (the issue's): a batch of 16 utterances of 10 s at 16 kHz. torchspec runs the batch at
once; kaldi-native-fbank (C++) and whisper's ``log_mel_spectrogram`` run per utterance, as they
are used; torchaudio.compliance.kaldi (pure torch, one utterance at a time) where it imports;
the transformers ASTFeatureExtractor per utterance where transformers imports (its torchaudio
path where torchaudio imports too). Ratios are to the reference. The "whole batch" rows switch
torchspec's CPU blocks off (torchspec.blocks): the batch's intermediates then stream through
memory. Writes ``benchmarks/results/presets-<device>.md``.

Usage: python benchmarks/bench_presets.py [--device cpu|cuda|all] [--threads 2]

torchaudio's PyPI wheel needs a CUDA torch. On a CPU-only torch, run this script from a venv
where its compiled ``lib/*.so`` files are moved aside: ``torchaudio.compliance.kaldi`` is pure
Python and imports there.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec.blocks
from torchspec.presets import ASTFbank, KaldiFbank, WhisperLogMel

N, SECONDS, RATE = 16, 10.0, 16000
WORKLOAD = (
    f"{N} utterances x {SECONDS:.0f} s at {RATE} Hz, 80 mel bins (Kaldi: 23, defaults; AST: 128,"
    " 1024 frames)."
)


def whole_batch(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with torchspec's CPU blocks switched off (one block of any size)."""

    def run() -> object:
        saved = torchspec.blocks.BLOCK_ELEMENTS
        torchspec.blocks.BLOCK_ELEMENTS = 1 << 62
        try:
            return fn()
        finally:
            torchspec.blocks.BLOCK_ELEMENTS = saved

    return run


def plan(device: str) -> Plan:
    audio = torch.randn(N, int(SECONDS * RATE), device=device) * 3000
    rows: Plan = []
    knf = optional_import("kaldi_native_fbank")
    if isinstance(knf, str) or device != "cpu":
        why = knf if isinstance(knf, str) else "CPU only"
        rows.append(("kaldi fbank", "kaldi-native-fbank (C++, per utterance)", None, why))
    else:
        options = knf.FbankOptions()
        options.frame_opts.dither = 0.0
        lists = [row.tolist() for row in audio.cpu()]

        def native() -> None:
            for samples in lists:
                computer = knf.OnlineFbank(options)
                computer.accept_waveform(RATE, samples)
                computer.input_finished()
                [computer.get_frame(i) for i in range(computer.num_frames_ready)]

        rows.append(("kaldi fbank", "kaldi-native-fbank (C++, per utterance)", native, ""))
    torchaudio = optional_import("torchaudio.compliance.kaldi")
    if isinstance(torchaudio, str):
        rows.append(("kaldi fbank", "torchaudio.compliance.kaldi.fbank", None, torchaudio))
    else:
        rows.append(
            (
                "kaldi fbank",
                "torchaudio.compliance.kaldi.fbank",
                no_grad(lambda: [torchaudio.fbank(a[None], dither=0.0) for a in audio]),
                "per utterance",
            )
        )
    kaldi = KaldiFbank(device=device)
    batched = no_grad(lambda: kaldi(audio))
    rows.append(("kaldi fbank", "torchspec KaldiFbank (batch)", batched, ""))
    if device == "cpu":
        rows.append(("kaldi fbank", "torchspec KaldiFbank (whole batch)", whole_batch(batched), ""))
    frames = torch.randn(N, kaldi.n_frames(audio.shape[-1]), kaldi.padded, device=device)
    pieces = frames.split(1) if device == "cpu" else [frames]
    rows.append(
        (
            "kaldi fbank",
            "FFT of the frames alone",
            no_grad(lambda: [torch.fft.rfft(piece) for piece in pieces]),
            "a floor: no framing, window, power or mel",
        )
    )
    unit = audio / 32768  # whisper reads audio in [-1, 1]
    whisper = optional_import("whisper")
    if isinstance(whisper, str):
        rows.append(("whisper log-mel", "whisper.log_mel_spectrogram", None, whisper))
    else:
        rows.append(
            (
                "whisper log-mel",
                "whisper.log_mel_spectrogram (per utterance)",
                no_grad(lambda: [whisper.log_mel_spectrogram(a) for a in unit]),
                "",
            )
        )
    ours = WhisperLogMel(device=device)
    log_mel = no_grad(lambda: ours(unit))
    rows.append(("whisper log-mel", "torchspec WhisperLogMel (batch)", log_mel, ""))
    if device == "cpu":
        rows.append(
            ("whisper log-mel", "torchspec WhisperLogMel (whole batch)", whole_batch(log_mel), "")
        )
    transformers = optional_import("transformers")
    if isinstance(transformers, str):
        rows.append(("ast fbank", "transformers ASTFeatureExtractor", None, transformers))
    else:
        extractor = transformers.ASTFeatureExtractor()
        clips = [item.numpy() for item in unit.cpu()]
        rows.append(
            (
                "ast fbank",
                "transformers ASTFeatureExtractor (per utterance)",
                lambda: extractor(clips, sampling_rate=RATE, return_tensors="np"),
                "",
            )
        )
    ast = ASTFbank(device=device)
    rows.append(("ast fbank", "torchspec ASTFbank (batch)", no_grad(lambda: ast(unit)), ""))
    return rows


if __name__ == "__main__":
    main("presets", "Presets", WORKLOAD, plan, __doc__)
