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
from torchspec.tracing import NotScriptable

ROUTES = ("script", "trace", "export", "onnx", "compile")
ROUTE_TITLES = {
    "script": "`torch.jit.script`",
    "trace": "`torch.jit.trace`",
    "export": "`torch.export` (dynamic)",
    "onnx": "ONNX + onnxruntime",
    "compile": "`torch.compile` (dynamic)",
}
CONFIGS = 2  # the registry's first two configurations of each layer: default and non-default

NOT_PORTED = "not ported to TorchScript (clear error at `torch.jit.script`)"
COMPLEX_ONNX = "complex output: ONNX has no complex tensors (export `power=` output instead)"
COMPLEX_INPUT_ONNX = "complex input: ONNX has no complex tensors"
TRACE_SHAPES = "traced graph keeps the example's shape (use `torch.export` or `torch.jit.script`)"

# (layer, configuration index or None for all, route) -> why the cell does not work
LIMITS: dict[tuple[str, int | None, str], str] = {
    **{
        (name, None, "script"): NOT_PORTED
        for name in (
            "CQT",
            "VQT",
            "InverseCQT",
            "PCEN",
            "SincFilterbank",
            "GaborFilterbank",
            "GaussianLowpass",
            "LEAF",
            "KaldiFbank",
            "KaldiMFCC",
        )
    },
}


def cases() -> list[tuple[str, int, Case]]:
    return [
        (name, i, case)
        for name, configs in REGISTRY.items()
        for i, case in enumerate(configs[:CONFIGS])
    ]


def limit(name: str, index: int, route: str) -> str | None:
    return LIMITS.get((name, index, route)) or LIMITS.get((name, None, route))


def inputs(case: Case) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """An example (batch 2) and two others with another batch and another length."""
    torch.manual_seed(0)
    example = case.input(2)
    longer = torch.cat([case.input(3), case.input(3)[..., :37]], dim=-1)
    shorter = case.input(1, 4)[:, 0, ..., :-3] if example.dim() > 2 else case.input(4)[..., :-3]
    return example, [longer, shorter]


def run(module: object, x: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(1)  # GriffinLim's random start, Kaldi's dither
    out = module(x)  # type: ignore[operator]
    assert isinstance(out, torch.Tensor)
    return out


def deploy(route: str, layer: torch.nn.Module, example: torch.Tensor, tmp_path: Path):
    """The layer captured by ``route``, as a callable on tensors."""
    if route == "script":
        return torch.jit.script(layer)
    if route == "trace":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.jit.trace(layer, (example,), check_trace=False)
    dims = {0: torch.export.Dim.DYNAMIC, example.dim() - 1: torch.export.Dim.DYNAMIC}
    if route == "export":
        return torch.export.export(layer, (example,), dynamic_shapes=(dims,)).module()
    if route == "onnx":
        import onnxruntime

        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            program = torch.onnx.export(layer, (example,), dynamo=True, dynamic_shapes=(dims,))
        path = tmp_path / "layer.onnx"
        program.save(str(path))
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: torch.from_numpy(session.run(None, {name: x.numpy()})[0])
    torch._dynamo.reset()
    return torch.compile(layer, fullgraph=True, dynamic=True)


def check_cell(name: str, index: int, case: Case, route: str, tmp_path: Path) -> None:
    layer = case.make().eval()
    example, others = inputs(case)
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
            torch.testing.assert_close(
                actual.to(expected.dtype), expected, rtol=1e-4, atol=1e-4 * max(scale, 1e-30)
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
    optimiser = torch.optim.SGD(layer.parameters(), lr=0.5)
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
    """The README's deployment table: layer x route, ✓ or the reason (from ``LIMITS``)."""
    header = "| layer | " + " | ".join(ROUTE_TITLES[r] for r in ROUTES) + " |"
    rows = [header, "|---" * (len(ROUTES) + 1) + "|"]
    for name, configs in REGISTRY.items():
        cells = []
        for route in ROUTES:
            reasons = {limit(name, i, route) for i in range(min(CONFIGS, len(configs)))}
            reasons.discard(None)
            cells.append("✓" if not reasons else "✗ " + "; ".join(sorted(reasons)))  # type: ignore[arg-type]
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


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
