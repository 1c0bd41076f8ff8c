"""torch.compile(fullgraph=True): no graph breaks, same numbers as eager."""

from __future__ import annotations

import pytest
import torch

from torchspec import InverseSpectrogram, Spectrogram

pytestmark = pytest.mark.compile

LAYERS = {
    "fft-route": lambda: Spectrogram(256, hop_length=64),
    "complex": lambda: Spectrogram(256, hop_length=64, power=None),
    "trainable": lambda: Spectrogram(256, hop_length=64, trainable=True),
    "log": lambda: Spectrogram(256, hop_length=64, freq_scale="log", sample_rate=16000),
}


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()


@pytest.mark.parametrize("name", list(LAYERS))
def test_spectrogram_compiles_without_graph_breaks(name):
    layer = LAYERS[name]()
    x = torch.randn(2, 4000)
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(compiled(x), layer(x), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("trainable", [False, True])
def test_inverse_compiles_without_graph_breaks(trainable):
    spec = Spectrogram(256, hop_length=64, power=None)(torch.randn(2, 4000))
    layer = InverseSpectrogram(256, hop_length=64, trainable=trainable)
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(compiled(spec, 4000), layer(spec, 4000), rtol=1e-5, atol=1e-5)


def test_trainable_backward_compiles():
    layer = Spectrogram(128, hop_length=32, trainable=True)
    compiled = torch.compile(layer, fullgraph=True)
    compiled(torch.randn(2, 2000)).sum().backward()
    assert layer.kernels.grad is not None and torch.isfinite(layer.kernels.grad).all()
