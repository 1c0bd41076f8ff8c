"""The deployment matrix: every registry layer through TorchScript, tracing, torch.export,
ONNX (dynamo exporter + ONNX Runtime) and torch.compile, each checked against eager.

A cell either works or is listed in ``LIMITS`` with the reason; a listed cell is asserted to
fail (so a fix shows up as a failing test that asks for the table to be updated), and a
``script`` limit must fail with torchspec's own message naming the layer. The README's
deployment table is written from ``LIMITS`` by ``python tests/test_deploy.py`` and checked
against it by ``test_readme_table_is_current``.

Tolerances: the captured graph runs the same float32 operations as eager, in a possibly
different order (ONNX Runtime has its own FFT and matmul kernels): 1e-4 relative to the
output's peak, the issue's bound for ONNX; everything else agrees far tighter in practice.
"""

import io
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import torch
from test_contract import REGISTRY, Case

import torchspec
from torchspec.onnx import ComplexAsReal
from torchspec.tracing import NotScriptable

# A float32 FFT's rounding (1e-7 of the peak, different in every FFT library) is a large
# relative error in bins 60-80 dB below the peak, and a log shows it. Every layer passes at
# 1e-4 of its peak except WhisperLogMel through ONNX Runtime (one bin of 512 off by 4e-4 of a
# 1.46 peak): it compares at 1e-3.
LOG_DOMAIN = {"WhisperLogMel"}

ROUTES = ("script", "trace", "export", "onnx", "compile")
ROUTE_TITLES = {
    "script": "`torch.jit.script` + save/load",
    "trace": "`torch.jit.trace`",
    "export": "`torch.export` (dynamic)",
    "onnx": "ONNX + onnxruntime",
    "compile": "`torch.compile` (dynamic)",
}
CONFIGS = 4  # every configuration of the registry (default, trainable, log, complex, route)
# Layers whose further configurations change only numbers, not the captured code: the first
# configuration stands for them (the CI run's time).
ONE_CONFIG = {
    "LibrosaSpectralCentroid",
    "SpectralBandwidth",
    "SpectralContrast",
    "RMS",
    "Delta",
    "StackMemory",
    "TimeStretch",
    "ComputeDeltas",
}


def configs_of(name: str) -> int:
    return 1 if name in ONE_CONFIG else CONFIGS


NOT_PORTED = (
    "not ported to TorchScript: `torch.jit.script` raises a `RuntimeError` naming the layer"
)

MASKS = ("FrequencyMasking", "TimeMasking", "SpecAugment")
RANDOM_ONNX = (
    "random masks: the exporter has no ONNX function for `aten.rand` with a generator "
    "(`torch.onnx.export` raises); an augmentation for training, not for deployment"
)
MASK_CAP = (
    "`p < 1` caps the mask at `int(p * frames)`, a Python number: `torch.jit.trace` fixes it "
    "for the example's frames and `torch.export` refuses a dynamic frame count; with "
    "`p=1.0` (the default) both work"
)
STRETCHED_LENGTH = (
    "the stretched signal's length `round(time / rate)` (torchaudio's rounding) is a Python "
    "number: `torch.jit.trace` and `torch.export` fix it for the example's length"
)
TRIMMED_PARITY = (
    "some rate pairs (here 16 kHz to 4 kHz) specialise on the input length's parity (the "
    "contiguity check of the output trimmed to `ceil(time * new / orig)`): `torch.compile` "
    "compiles twice and `torch.export` refuses a dynamic length; other pairs work"
)
STRETCHED_LENGTH_ONNX = (
    "the ONNX exporter keeps the stretched length `round(time / rate)` of the example "
    "without raising: ONNX Runtime's output is wrong for other input lengths (export with "
    "a fixed length)"
)
RECURSION = (
    "the IIR filter runs as a loop over 64-sample chunks whose count follows the input "
    "length: `torch.jit.trace` fixes it"
)
SYMMETRIC_PAD_ONNX = (
    "the median filters pad symmetrically through the remainder of a range of dynamic "
    "length, which the ONNX exporter cannot translate (`torch.onnx.export` raises)"
)
CHUNK_MULTIPLE = (
    "the IIR filter solves whole 64-sample chunks at once and trims the result: `torch.compile` "
    "and `torch.export` specialise on whether the length is a multiple of 64 (ONNX, from the "
    "same graph, works)"
)

ESTIMATED_TUNING = (
    "`tuning=None` estimates each item's tuning and builds the constant-Q transform for it in "
    "Python: `torch.jit.trace` and `torch.export` fix the example's, `torch.compile` breaks "
    "the graph; capture a layer with a given `tuning`"
)
CONSTANT_Q_CHROMA = ("ChromaCQT", "ChromaCENS", "ChromaVQT", "Tonnetz")

# (layer, configuration index or None for all, route) -> why the cell does not work
LIMITS: dict[tuple[str, int | None, str], str] = {
    **{
        (name, None, "script"): NOT_PORTED
        for name in (
            "CQT",
            "VQT",
            "InverseCQT",
            "PCEN",
            "LEAF",
            *CONSTANT_Q_CHROMA,
        )
    },
    **{
        ("ChromaCQT", 1, route): ESTIMATED_TUNING
        for route in ("trace", "export", "onnx", "compile")
    },
    **{(name, None, "onnx"): RANDOM_ONNX for name in MASKS},
    ("TimeMasking", None, "trace"): MASK_CAP,
    ("TimeMasking", None, "export"): MASK_CAP,
    ("PitchShift", None, "trace"): STRETCHED_LENGTH,
    ("PitchShift", None, "export"): STRETCHED_LENGTH,
    ("Resample", 1, "compile"): TRIMMED_PARITY,
    ("Resample", 1, "export"): TRIMMED_PARITY,
    ("PitchShift", None, "onnx"): STRETCHED_LENGTH_ONNX,
    ("Deemphasis", None, "trace"): RECURSION,
    ("HPSS", None, "onnx"): SYMMETRIC_PAD_ONNX,
    **{("Deemphasis", None, r): CHUNK_MULTIPLE for r in ("export", "compile")},
}

# Cells that work with another torch.compile backend than inductor, and why.
COMPILE_BACKENDS: dict[str, tuple[str, str]] = {
    name: (
        "aot_eager",
        "inductor draws random numbers from its own generator, so its masks differ from eager's "
        "under the same seed; `aot_eager` (or `torch._inductor.config.fallback_random = True`) "
        "draws eager's",
    )
    for name in MASKS
}


def cases() -> list[tuple[str, int, Case]]:
    return [
        (name, i, case)
        for name, configs in REGISTRY.items()
        for i, case in enumerate(configs[: configs_of(name)])
    ]


def limit(name: str, index: int, route: str) -> str | None:
    return LIMITS.get((name, index, route)) or LIMITS.get((name, None, route))


def inputs(case: Case, layer: torch.nn.Module) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """An example (batch 2) and two others with another batch and another length (only
    another batch for a layer whose output length is fixed: ``GriffinLim(length=...)``)."""
    torch.manual_seed(0)
    example = case.input(2)
    if fixed_time(layer):
        return example, [case.input(3), case.input(5)]
    longer = torch.cat([case.input(3), case.input(3)[..., :37]], dim=-1)
    shorter = case.input(4)[..., :-3]  # batch >= 2: torch.compile specialises sizes 0 and 1
    return example, [longer, shorter.contiguous()]  # a slice's strides would recompile


def fixed_time(layer: torch.nn.Module) -> bool:
    """GriffinLim with ``length`` set iterates at that length when the frames match it: a
    layer for one input length, captured with a dynamic batch only."""
    return isinstance(layer, torchspec.GriffinLim) and layer.length is not None


def dynamic_dims(layer: torch.nn.Module, example: torch.Tensor) -> dict[int, object]:
    dims = {0: torch.export.Dim.DYNAMIC}
    if not fixed_time(layer):
        dims[example.dim() - 1] = torch.export.Dim.DYNAMIC
    return dims


def run(module: object, x: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(1)  # GriffinLim's random start, Kaldi's dither
    out = module(x)  # type: ignore[operator]
    assert isinstance(out, torch.Tensor)
    return out


def deploy(route: str, layer: torch.nn.Module, example: torch.Tensor, tmp_path: Path):
    """The layer captured by ``route``, as a callable on tensors."""
    if route == "script":  # as deployed: scripted, saved, and loaded back in another place
        buffer = io.BytesIO()
        torch.jit.save(torch.jit.script(layer), buffer)
        buffer.seek(0)
        return torch.jit.load(buffer)
    if route == "trace":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.trace(layer, (example,), check_trace=False)
    dims = dynamic_dims(layer, example)
    if route == "export":
        return torch.export.export(layer, (example,), dynamic_shapes=(dims,)).module()
    if route == "onnx":
        return onnx_session(layer, example, tmp_path)
    torch._dynamo.reset()
    backend = COMPILE_BACKENDS.get(type(layer).__name__, ("inductor", ""))[0]
    compiled = torch.compile(layer, fullgraph=True, dynamic=True, backend=backend)
    with torch.no_grad():  # as the comparisons run
        compiled(example)  # the one compilation; the other shapes must not recompile

    def no_recompile(x: torch.Tensor) -> torch.Tensor:
        with torch._dynamo.config.patch(error_on_recompile=True):
            return compiled(x)

    return no_recompile


def onnx_session(layer: torch.nn.Module, example: torch.Tensor, tmp_path: Path):
    """``layer`` through ``torch.onnx.export(dynamo=True)`` (dynamic batch and time) and ONNX
    Runtime; complex tensors in and out as (real, imaginary) pairs (:class:`ComplexAsReal`),
    returned as complex again."""
    import onnxruntime

    wrapped = ComplexAsReal(layer, complex_input=example.is_complex())
    pairs = torch.view_as_real(example) if example.is_complex() else example
    dims = dynamic_dims(layer, example)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        program = torch.onnx.export(wrapped, (pairs,), dynamo=True, dynamic_shapes=(dims,))
    path = tmp_path / "layer.onnx"
    program.save(str(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name, complex_output = session.get_inputs()[0].name, layer(example).is_complex()

    def run_session(x: torch.Tensor) -> torch.Tensor:
        feed = torch.view_as_real(x) if x.is_complex() else x
        out = torch.from_numpy(session.run(None, {name: feed.contiguous().numpy()})[0])
        return torch.view_as_complex(out.contiguous()) if complex_output else out

    return run_session


def check_cell(name: str, index: int, case: Case, route: str, tmp_path: Path) -> None:
    layer = case.make().eval()
    example, others = inputs(case, layer)
    reason = limit(name, index, route)
    if reason is not None:
        with pytest.raises(Exception) as failure:  # any failure of the route
            captured = deploy(route, layer, example, tmp_path)
            for x in others:
                torch.testing.assert_close(run(captured, x), run(layer, x), rtol=1e-4, atol=0)
        if route == "script":
            assert f"{type(layer).__name__} cannot be compiled by torch.jit.script" in str(
                failure.value
            )
        return
    captured = deploy(route, layer, example, tmp_path)
    with torch.no_grad():
        for x in others:
            expected = run(layer, x)
            actual = run(captured, x)
            assert actual.shape == expected.shape, (route, x.shape)
            scale = float(expected.abs().max()) if expected.numel() else 1.0
            tolerance = 1e-3 if name in LOG_DOMAIN else 1e-4
            torch.testing.assert_close(
                actual.to(expected.dtype), expected, rtol=tolerance, atol=tolerance * scale
            )


CELLS = [
    pytest.param(name, index, case, route, id=f"{name}-{index}-{route}")
    for name, index, case in cases()
    for route in ROUTES
]


@pytest.mark.compile
@pytest.mark.parametrize(("name", "index", "case", "route"), CELLS)
def test_deployment_cell(name, index, case, route, tmp_path):
    check_cell(name, index, case, route, tmp_path)


TRAINABLE = {
    "Spectrogram": lambda: torchspec.Spectrogram(32, hop_length=8, trainable=True),
    "Spectrogram-window": lambda: torchspec.Spectrogram(32, hop_length=8, trainable="window"),
    "MelSpectrogram": lambda: torchspec.MelSpectrogram(8000, 64, n_mels=8, trainable_mel=True),
    "MelScale-parametric": lambda: torchspec.MelScale(8, 8000, n_stft=33, trainable="parametric"),
    "GaborFilterbank": lambda: torchspec.GaborFilterbank(
        n_filters=6, kernel_size=31, sample_rate=8000, f_max=3900.0
    ),
}


@pytest.mark.compile
@pytest.mark.parametrize("route", ["export", "onnx", "script"])
@pytest.mark.parametrize("name", list(TRAINABLE))
def test_exports_the_trained_parameters(name, route, tmp_path):
    torch.manual_seed(0)
    layer = TRAINABLE[name]()
    x = torch.rand(2, 33, 40) if name.startswith("MelScale") else torch.randn(2, 600)
    before = layer(x).detach()
    optimiser = torch.optim.Adam(layer.parameters(), lr=0.05)  # moves every parameter
    (layer(x) - before.flip(-1)).square().mean().backward()
    optimiser.step()
    after = layer(x).detach()
    assert (after - before).abs().max() > 1e-3 * before.abs().max()  # the step changed it
    refused = isinstance(layer, NotScriptable) or name.endswith("parametric")
    if route == "script" and refused:
        with pytest.raises(RuntimeError, match=r"cannot be compiled by torch\.jit\.script"):
            torch.jit.script(layer)
        return
    captured = deploy(route, layer.eval(), x, tmp_path)
    torch.testing.assert_close(
        run(captured, x), after, rtol=1e-4, atol=1e-4 * float(after.abs().max())
    )


def table() -> str:
    """The README's deployment table: layer x route, ✓ or ✗ with a numbered note giving the
    reason (from ``LIMITS`` and ``COMPILE_BACKENDS``), the notes below the table."""
    notes: list[str] = []

    def note(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f"({notes.index(text) + 1})"

    header = "| layer | " + " | ".join(ROUTE_TITLES[r] for r in ROUTES) + " |"
    rows = [header, "|---" * (len(ROUTES) + 1) + "|"]
    for name, configs in REGISTRY.items():
        cells = []
        for route in ROUTES:
            reasons = sorted(
                {
                    r
                    for i in range(min(configs_of(name), len(configs)))
                    if (r := limit(name, i, route))
                }
            )
            if reasons:
                cells.append("✗ " + " ".join(note(r) for r in reasons))
            elif route == "compile" and name in COMPILE_BACKENDS:
                backend, why = COMPILE_BACKENDS[name]
                cells.append("✓ " + note(f"with `backend='{backend}'`: {why}"))
            else:
                cells.append("✓")
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    rows.append("")
    rows += [f"({n}) {text}" for n, text in enumerate(notes, 1)]
    return "\n".join(rows)


def test_complex_as_real_carries_complex_tensors_as_pairs():
    spec = torchspec.Spectrogram(32, hop_length=8, power=None)
    inverse = torchspec.InverseSpectrogram(32, hop_length=8)
    x = torch.randn(2, 200)
    pairs = ComplexAsReal(spec, complex_input=False)(x)
    torch.testing.assert_close(pairs, torch.view_as_real(spec(x)))
    back = ComplexAsReal(inverse, complex_input=True)(pairs)
    torch.testing.assert_close(back, inverse(spec(x)))
    with pytest.raises(TypeError, match="complex_input"):
        ComplexAsReal(spec, complex_input=1)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        ComplexAsReal(inverse, complex_input=True)(torch.randn(2, 17, 5))


START, END = "<!-- deployment table: python tests/test_deploy.py -->", "<!-- end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_is_current():
    text = README.read_text()
    assert START in text, "README lacks the deployment table"
    body = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert body == table(), "run `python tests/test_deploy.py` to rewrite the README table"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    text = README.read_text()
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{table()}\n{END}{after}")
    print("README deployment table rewritten")
