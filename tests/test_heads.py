"""Heads: batch independence, gradients, learning, errors, torch.compile, dtypes."""

from __future__ import annotations

import pytest
import torch

from torchspec import LFCC, MFCC, AmplitudeToDB, MelScale, MelSpectrogram

F64 = torch.float64
SMALL_STFT = {"n_fft": 32, "hop_length": 8}

WAVEFORM_HEADS = {
    "MelSpectrogram": lambda **kw: MelSpectrogram(16000, n_mels=16, **SMALL_STFT, **kw),
    "MFCC": lambda **kw: MFCC(16000, 8, melkwargs={"n_mels": 16, **SMALL_STFT}, **kw),
    "MFCC-log": lambda **kw: MFCC(
        16000, 8, log_mels=True, melkwargs={"n_mels": 16, **SMALL_STFT}, lifter=22, **kw
    ),
    "LFCC": lambda **kw: LFCC(16000, n_filter=12, n_lfcc=6, speckwargs=SMALL_STFT, **kw),
}
SPECTROGRAM_HEADS = {
    "MelScale": lambda **kw: MelScale(16, 16000, n_stft=17, **kw),
    "AmplitudeToDB-max-top_db": lambda **kw: AmplitudeToDB(top_db=30.0, ref="max", **kw),
}


def _items(heads: dict, scale: torch.Tensor) -> None:
    """Each item of a batch alone equals the same item computed inside the batch."""
    for name, make in heads.items():
        layer = make()
        batch = scale
        together = layer(batch)
        for i in range(batch.shape[0]):
            alone = layer(batch[i : i + 1])
            torch.testing.assert_close(alone[0], together[i], rtol=1e-5, atol=1e-5, msg=name)


def test_batch_independence_of_every_head():
    """Items with very different levels (x1e-3 .. x1e3) so any batch-wide max would show."""
    gains = torch.tensor([1e-3, 1.0, 1e3])[:, None, None]
    _items(WAVEFORM_HEADS, torch.randn(3, 2, 800) * gains)
    spectra = torch.rand(3, 2, 17, 30) * gains[..., None]
    _items(SPECTROGRAM_HEADS, spectra)


def test_top_db_is_per_spectrogram_not_per_batch():
    quiet, loud = torch.full((1, 4, 5), 1e-6), torch.full((1, 4, 5), 1e-6)
    loud[0, 0, 0] = 1e6  # 60 dB peak: its floor is -20 dB
    db = AmplitudeToDB(top_db=80.0)(torch.cat([quiet, loud]))
    assert torch.allclose(db[0], torch.full((4, 5), -60.0))  # a batch-wide floor would be -20
    assert db[1].min() == pytest.approx(60.0 - 80.0)


def test_trainable_mel_learns_and_stays_valid():
    """Fit the mel filterbank to filters 6 dB down through a dB loss on silence-padded noise:
    the loss falls, the filters move, stay >= 0, and gradients stay finite."""
    torch.manual_seed(0)
    reference = MelSpectrogram(16000, n_fft=256, hop_length=64, n_mels=20)
    model = MelSpectrogram(16000, n_fft=256, hop_length=64, n_mels=20, trainable_mel=True)
    to_db = AmplitudeToDB(top_db=80.0)
    start = model.mel_scale.fb.detach().clone()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)

    def batch() -> torch.Tensor:
        x = torch.randn(8, 4000)
        x[:, :1000] = 0.0  # silence: log and dB of exact zeros
        return x

    probe = batch()

    def loss_fn(x: torch.Tensor) -> torch.Tensor:
        return (to_db(model(x)) - to_db(0.25 * reference(x))).square().mean()

    first = loss_fn(probe).item()
    for _ in range(100):
        optimiser.zero_grad()
        loss = loss_fn(batch())
        loss.backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters())
        optimiser.step()
    assert loss_fn(probe).item() < 0.1 * first
    assert (model.mel_scale.fb.detach() - start).abs().max() > 1e-3
    assert (model(probe) >= 0).all()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MelScale(f_min=9000.0), "f_min"),
        (lambda: MelScale(f_min=-1.0), "f_min"),
        (lambda: MelScale(f_min=500.0, f_max=400.0), "f_max"),
        (lambda: MelScale(f_max=8001.0), "f_max"),
        (lambda: MelScale(mel_scale="bark"), "mel_scale"),
        (lambda: MelScale(norm="l2"), "norm"),
        (lambda: MelScale(n_mels=0), "n_mels"),
        (lambda: MelSpectrogram(f_max=9000.0), "f_max"),
        (lambda: MFCC(n_mfcc=200), "n_mfcc"),
        (lambda: MFCC(dct_type=1), "dct_type"),
        (lambda: MFCC(norm="l1"), "norm"),
        (lambda: MFCC(lifter=-1), "lifter"),
        (lambda: LFCC(n_lfcc=200), "n_lfcc"),
        (lambda: AmplitudeToDB(top_db=-10.0), "top_db"),
        (lambda: AmplitudeToDB(stype="energy"), "stype"),
        (lambda: AmplitudeToDB(ref=0.0), "ref"),
        (lambda: AmplitudeToDB(ref="min"), "ref"),
        (lambda: AmplitudeToDB(amin=0.0), "amin"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_spectrogram_input():
    with pytest.raises(ValueError, match="201"):
        MelScale()(torch.rand(2, 100, 10))
    with pytest.raises(TypeError, match="complex"):
        MelScale()(torch.zeros(201, 10, dtype=torch.complex64))
    with pytest.raises(ValueError, match="per"):
        AmplitudeToDB(top_db=80.0)(torch.rand(10))


ALL_HEADS = {**WAVEFORM_HEADS, **SPECTROGRAM_HEADS}


COMPILE_CASES = [(name, False) for name in ALL_HEADS] + [
    (name, True) for name in ALL_HEADS if not name.startswith("AmplitudeToDB")
]


@pytest.mark.parametrize(("name", "trainable"), COMPILE_CASES)
@pytest.mark.compile
def test_every_head_compiles_without_graph_breaks(name, trainable):
    torch._dynamo.reset()
    kw = {}
    if trainable:
        kw = {"trainable": True} if name == "MelScale" else {"trainable_stft": True}
    layer = ALL_HEADS[name](**kw)
    x = torch.rand(2, 17, 30) if name in SPECTROGRAM_HEADS else torch.randn(2, 800)
    compiled = torch.compile(layer, fullgraph=True)
    torch.testing.assert_close(compiled(x), layer(x), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("name", list(WAVEFORM_HEADS))
def test_heads_in_every_dtype(dtype, name):
    layer = WAVEFORM_HEADS[name]()
    x = torch.randn(2, 800)
    out = layer(x.to(dtype))
    assert out.dtype == dtype and torch.isfinite(out).all()
    reference = WAVEFORM_HEADS[name](dtype=F64)(x.to(dtype).double())
    tol = {torch.float16: 2e-2, torch.bfloat16: 5e-2, torch.float64: 1e-6}[dtype]
    assert (out.double() - reference).norm() / reference.norm() <= tol
