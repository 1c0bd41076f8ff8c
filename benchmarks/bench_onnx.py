"""A mel + dB frontend exported to ONNX: ONNX Runtime (CPU) vs eager torchspec vs librosa.

Workload: 16 clips x 10 s at 16 kHz, n_fft 400, hop 160, 80 mels (Slaney scale and norm, as
Whisper's), power 2, then dB with ``top_db=80`` per clip. The frontend is exported once with
``torch.onnx.export(..., dynamo=True)`` and dynamic batch and time, on both STFT routes: the
FFT route becomes ONNX's DFT op, ``stft_route="conv"`` a Conv with the Fourier kernels. The
ONNX Runtime session uses as many intra-op threads as torch (``--threads``). librosa runs per clip
(``melspectrogram`` + ``power_to_db(ref=1, top_db=80)``).

Ratios are to eager torchspec. Writes ``benchmarks/results/onnx-cpu.md``. CPU only: ONNX
Runtime's CUDA provider is not part of this project's dependencies.

Usage: python benchmarks/bench_onnx.py [--threads 2]
"""

import io
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP, N_MELS = 16, 10.0, 16000, 400, 160, 80
WORKLOAD = (
    f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}, "
    f"{N_MELS} Slaney mels, dB with top_db 80."
)


def frontend(stft_route: str | None = None) -> torch.nn.Module:
    """The exported model: MelSpectrogram then AmplitudeToDB (the README's example)."""
    mel = torchspec.MelSpectrogram(
        SAMPLE_RATE,
        N_FFT,
        hop_length=HOP,
        n_mels=N_MELS,
        norm="slaney",
        mel_scale="slaney",
        stft_route=stft_route,
    )
    return torch.nn.Sequential(mel, torchspec.AmplitudeToDB(top_db=80.0)).eval()


def onnx_runner(model: torch.nn.Module, audio: torch.Tensor, ort: object) -> tuple[object, str]:
    """Export ``model`` with dynamic batch and time; a call running the session on ``audio``
    and the largest difference to eager (dB)."""
    dims = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        example = audio[:2, :32000].contiguous()
        program = torch.onnx.export(model, (example,), dynamo=True, dynamic_shapes=(dims,))
    path = Path(tempfile.mkdtemp()) / "frontend.onnx"
    program.save(str(path))
    options = ort.SessionOptions()  # type: ignore[attr-defined]
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(  # type: ignore[attr-defined]
        str(path), options, providers=["CPUExecutionProvider"]
    )
    name, clips = session.get_inputs()[0].name, audio.numpy()
    error = float(
        (torch.from_numpy(session.run(None, {name: clips})[0]) - model(audio)).abs().max()
    )
    return (lambda: session.run(None, {name: clips})), f"max diff to eager {error:.1e} dB"


def plan(device: str) -> Plan:
    if device != "cpu":
        return [("mel + dB", "torchspec eager", None, "CPU only")]
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE))
    model = frontend()
    rows: Plan = [("mel + dB", "torchspec eager", no_grad(lambda: model(audio)), "")]

    conv = frontend("conv")
    rows.append(
        ("mel + dB", "torchspec eager, stft_route='conv'", no_grad(lambda: conv(audio)), "")
    )
    ort = optional_import("onnxruntime")
    for label, exported in (("FFT route (DFT op)", model), ("stft_route='conv' (Conv op)", conv)):
        if isinstance(ort, str):
            rows.append(("mel + dB", f"ONNX Runtime, {label}", None, ort))
            continue
        run, note = onnx_runner(exported, audio, ort)
        rows.append(("mel + dB", f"ONNX Runtime, {label}", run, note))

    librosa = optional_import("librosa")
    if isinstance(librosa, str):
        rows.append(("mel + dB", "librosa (per clip)", None, librosa))
    else:
        clips64 = audio.numpy()
        options = {"sr": SAMPLE_RATE, "n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS}

        def run_librosa() -> object:
            return [
                librosa.power_to_db(librosa.feature.melspectrogram(y=clip, **options), top_db=80.0)
                for clip in clips64
            ]

        rows.append(("mel + dB", "librosa (per clip)", run_librosa, ""))
    return rows


if __name__ == "__main__":
    main("onnx", "Mel + dB frontend through ONNX Runtime", WORKLOAD, plan, __doc__)
