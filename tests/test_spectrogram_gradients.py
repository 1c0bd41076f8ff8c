"""Gradients: gradcheck in float64 for every route; trainable kernels learn."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck
from torch.func import functional_call

from torchspec import InverseSpectrogram, Spectrogram

F64 = torch.float64
SMALL = {"n_fft": 16, "hop_length": 5}


@pytest.mark.parametrize("power", [None, 1.0, 2.0])
@pytest.mark.parametrize(
    "kw",
    [{}, {"trainable": True}, {"freq_scale": "log", "sample_rate": 8000, "f_min": 300.0}],
    ids=["fft-route", "trainable", "log"],
)
def test_spectrogram_gradcheck_wrt_input(power, kw):
    layer = Spectrogram(**SMALL, power=power, dtype=F64, **kw)
    x = torch.randn(2, 40, dtype=F64, requires_grad=True)
    assert gradcheck(layer, (x,))


@pytest.mark.parametrize("power", [None, 2.0])
def test_spectrogram_gradcheck_wrt_kernels(power):
    layer = Spectrogram(**SMALL, power=power, trainable=True, dtype=F64)
    x = torch.randn(2, 40, dtype=F64)

    def run(kernels: torch.Tensor) -> torch.Tensor:
        return functional_call(layer, {"kernels": kernels}, (x,))

    kernels = layer.kernels.detach().clone().requires_grad_(True)
    assert gradcheck(run, (kernels,))


@pytest.mark.parametrize("trainable", [False, True])
@pytest.mark.parametrize("length", [None, 30])
def test_inverse_gradcheck(trainable, length):
    layer = InverseSpectrogram(**SMALL, trainable=trainable, dtype=F64)
    spec = torch.randn(2, 9, 8, dtype=torch.complex128, requires_grad=True)
    assert gradcheck(lambda s: layer(s, length), (spec,))
    if trainable:
        kernels = layer.kernels.detach().clone().requires_grad_(True)
        fixed = spec.detach()
        assert gradcheck(lambda k: functional_call(layer, {"kernels": k}, (fixed,)), (kernels,))


def test_power_spectrogram_gradient_is_finite_at_silence():
    layer = Spectrogram(64, power=2.0, trainable=True)
    x = torch.zeros(1, 1000, requires_grad=True)
    layer(x).sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(layer.kernels.grad).all()


def _train(model: torch.nn.Module, loss_fn, steps: int = 150) -> tuple[float, float, float]:
    """Adam on fresh noise batches; returns (probe loss before, after, largest kernel change)."""
    start = model.kernels.detach().clone()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    probe = torch.randn(4, 2000)
    first = loss_fn(probe).item()
    for _ in range(steps):
        optimiser.zero_grad()
        loss_fn(torch.randn(8, 2000)).backward()
        optimiser.step()
    moved = (model.kernels.detach() - start).abs().max().item()
    return first, loss_fn(probe).item(), moved


def test_trainable_spectrogram_learns():
    """Learn the kernels of a Hamming-window STFT starting from Hann: loss falls, kernels move."""
    target = Spectrogram(64, hop_length=16, window_fn=torch.hamming_window, power=None)
    model = Spectrogram(64, hop_length=16, power=None, trainable=True)
    first, last, moved = _train(model, lambda x: (model(x) - target(x)).abs().square().mean())
    assert last < 0.05 * first
    assert moved > 1e-2


def test_trainable_inverse_learns():
    """Learn synthesis kernels that undo a gain of 2 applied to the spectrogram."""
    forward = Spectrogram(64, hop_length=16, power=None)
    model = InverseSpectrogram(64, hop_length=16, trainable=True)
    first, last, moved = _train(
        model, lambda x: (model(2 * forward(x), x.shape[-1]) - x).square().mean()
    )
    assert last < 0.05 * first
    assert moved > 1e-3
