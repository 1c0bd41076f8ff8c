"""Constant-Q pitch-class features against librosa 0.11 in float64: ``feature.chroma_cqt``,
``chroma_cens``, ``chroma_vqt``, ``tonnetz`` and ``filters.cq_to_chroma``.

Two references, because librosa's own constant-Q transform is not its definition:

- on a given constant-Q magnitude (librosa's ``C=``/``V=``/``chroma=`` forms) the functions
  equal librosa to 1e-12 (the same float64 sums and a 0/1 folding matrix);
- from audio, the layers compute the wavelet transform librosa defines, by torchspec's
  multirate route (within 2e-3 of the definition, ``tests/test_cqt.py``). They are compared
  with librosa's chroma of that definition (evaluated directly with numpy/scipy at librosa's
  estimated tuning, so a wrong tuning estimate fails): 3e-3 of the peak of 1 for chroma and
  tonnetz (measured 1.3e-3), exact for CENS (its quantisation absorbs the difference here).
  Against librosa from audio (which resamples octave by octave, 0.4-6% from the definition)
  the bound is 0.15 (measured 0.09 on the chirp): a folding, tuning or normalisation mistake
  is of order 1.
"""

from __future__ import annotations

import types

import librosa
import numpy as np
import pytest
import torch
from test_cqt import definition
from test_librosa_features import SR, peak_error, signals

import torchspec
import torchspec.functional as TF

C1 = librosa.note_to_hz("C1")


def exact_magnitude(
    y: np.ndarray, tuning: float, bins_per_octave: int = 36, n_bins: int = 252
) -> np.ndarray:
    """``|C|`` of librosa's constant-Q wavelets evaluated directly (``tests/test_cqt.py``)."""
    freqs = librosa.cqt_frequencies(
        n_bins, fmin=C1 * 2 ** (tuning / bins_per_octave), bins_per_octave=bins_per_octave
    )
    plan = types.SimpleNamespace(
        frequencies=torch.from_numpy(freqs),
        gamma=0.0,
        filter_scale=1,
        window="hann",
        hop_length=512,
    )
    return np.abs(definition(y, plan))


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    return signals()


@pytest.fixture(scope="module")
def references(clips) -> list[dict[str, np.ndarray]]:
    """Per clip: librosa's chroma, CENS and tonnetz of the exact CQT at librosa's tuning."""
    out = []
    for y in clips:
        tuning = librosa.estimate_tuning(y=y, sr=SR, bins_per_octave=36)
        C = exact_magnitude(y, tuning)  # noqa: N806 - librosa's name
        chroma = librosa.feature.chroma_cqt(C=C)
        out.append(
            {
                "chroma": chroma,
                "cens": librosa.feature.chroma_cens(C=C),
                "tonnetz": librosa.feature.tonnetz(chroma=chroma),
            }
        )
    return out


@pytest.mark.parametrize(
    ("layer", "key", "bound"),
    [
        (torchspec.ChromaCQT, "chroma", 3e-3),
        (torchspec.ChromaCENS, "cens", 1e-9),
        (torchspec.Tonnetz, "tonnetz", 3e-3),
    ],
)
def test_layers_equal_librosa_on_the_exact_transform(clips, references, layer, key, bound):
    """Batched, tuning estimated per item: each item against librosa on that item alone."""
    out = layer(dtype=torch.float64)(torch.from_numpy(clips))
    for item, reference in enumerate(references):
        assert peak_error(out[item], reference[key]) < bound, item


def test_chroma_cqt_is_near_librosa_from_audio(clips):
    out = torchspec.ChromaCQT()(torch.from_numpy(clips).float())
    for item, y in enumerate(clips):
        expected = librosa.feature.chroma_cqt(y=y, sr=SR)
        assert peak_error(out[item].double(), expected) < 0.15, item


def test_given_tuning_and_options():
    """``tuning``, ``fmin``, ``n_chroma`` 24, ``bins_per_octave`` 48, ``n_octaves`` 5,
    ``norm`` 2 and ``threshold`` as librosa reads them."""
    y = signals()[0]
    kwargs = {"tuning": 0.2, "fmin": 55.0, "n_chroma": 24, "bins_per_octave": 48, "n_octaves": 5}
    layer = torchspec.ChromaCQT(**kwargs, norm=2.0, threshold=0.5, dtype=torch.float64)
    freqs = librosa.cqt_frequencies(240, fmin=55.0 * 2 ** (0.2 / 48), bins_per_octave=48)
    plan = types.SimpleNamespace(
        frequencies=torch.from_numpy(freqs),
        gamma=0.0,
        filter_scale=1,
        window="hann",
        hop_length=512,
    )
    C = np.abs(definition(y, plan))  # noqa: N806
    expected = librosa.feature.chroma_cqt(
        C=C, fmin=55.0, n_chroma=24, bins_per_octave=48, norm=2.0, threshold=0.5
    )
    assert peak_error(layer(torch.from_numpy(y)), expected) < 3e-3


@pytest.mark.parametrize("intervals", ["equal", "ji5"])
def test_chroma_vqt_equals_librosa_on_the_exact_transform(intervals):
    y = signals()[1]
    if intervals == "equal":
        ratios: str | list[float] = "equal"
        freqs = librosa.cqt_frequencies(84, fmin=C1, bins_per_octave=12)
    else:
        ratios = list(librosa.interval_frequencies(12, fmin=1.0, intervals="ji5"))
        freqs = librosa.interval_frequencies(84, fmin=C1, intervals="ji5", bins_per_octave=12)
    layer = torchspec.ChromaVQT(intervals=ratios, gamma=10.0, dtype=torch.float64)
    plan = types.SimpleNamespace(
        frequencies=torch.from_numpy(freqs),
        gamma=10.0,
        filter_scale=1,
        window="hann",
        hop_length=512,
    )
    V = np.abs(definition(y, plan))  # noqa: N806 - librosa's name
    expected = librosa.feature.chroma_vqt(V=V, intervals=intervals, gamma=10.0)
    assert peak_error(layer(torch.from_numpy(y)), expected) < 3e-3
    expected = librosa.feature.chroma_vqt(y=y, sr=SR, intervals=intervals, gamma=10.0)
    assert peak_error(layer(torch.from_numpy(y)), expected) < 0.15


def test_functions_on_a_given_transform_equal_librosa():
    rng = np.random.default_rng(3)
    C = rng.random((2, 200, 30)) ** 2  # noqa: N806 - librosa's name
    tensor = torch.from_numpy(C)
    pairs = [
        (TF.chroma_cqt(tensor), librosa.feature.chroma_cqt(C=C)),
        (
            TF.chroma_cqt(tensor, 24, 12, 50.0, 1.0, 0.3),
            librosa.feature.chroma_cqt(C=C, bins_per_octave=24, fmin=50.0, norm=1.0, threshold=0.3),
        ),
        (TF.chroma_cens(tensor), librosa.feature.chroma_cens(C=C)),
        (
            TF.chroma_cens(tensor, win_len_smooth=8, smoothing_window="hamming", norm=None),
            librosa.feature.chroma_cens(
                C=C, win_len_smooth=8, smoothing_window="hamming", norm=None
            ),
        ),
        (
            TF.chroma_cens(tensor, win_len_smooth=None),
            librosa.feature.chroma_cens(C=C, win_len_smooth=None),
        ),
        (
            TF.chroma_vqt(tensor[..., :84, :]),
            librosa.feature.chroma_vqt(V=C[..., :84, :], intervals="equal"),
        ),
        (TF.tonnetz(tensor[..., :24, :]), librosa.feature.tonnetz(chroma=C[..., :24, :])),
    ]
    for ours, expected in pairs:
        assert peak_error(ours, expected) < 1e-12


@pytest.mark.parametrize(
    ("n_input", "bins_per_octave", "n_chroma", "fmin"),
    [(84, 12, 12, None), (252, 36, 12, None), (100, 36, 12, 440.0), (70, 24, 24, 55.0)],
)
@pytest.mark.parametrize("base_c", [True, False])
def test_cq_to_chroma_equals_librosa(n_input, bins_per_octave, n_chroma, fmin, base_c):
    expected = librosa.filters.cq_to_chroma(
        n_input, bins_per_octave=bins_per_octave, n_chroma=n_chroma, fmin=fmin, base_c=base_c
    )
    ours = TF.cq_to_chroma(n_input, bins_per_octave, n_chroma, fmin, base_c)
    np.testing.assert_array_equal(ours.numpy(), expected)


def test_a_major_chord_lights_its_pitch_classes():
    """A-C#-E (440, 554.4, 659.3 Hz) with harmonics: chroma peaks on A, C# and E; the
    tonnetz of a major triad points where its major-third circle says."""
    t = np.arange(2 * SR) / SR
    chord = sum(
        np.sin(2 * np.pi * f * h * t) / h for f in (440.0, 554.37, 659.26) for h in (1, 2, 3)
    )
    chroma = torchspec.ChromaCQT(tuning=0.0)(torch.from_numpy(chord).float())
    profile = chroma[:, 10:-10].mean(dim=-1)
    top = set(profile.topk(3).indices.tolist())
    assert top == {9, 1, 4}  # A, C#, E with C first


def test_arguments_are_checked_and_gradients_flow():
    with pytest.raises(ValueError, match="multiple of n_chroma"):
        torchspec.ChromaCQT(bins_per_octave=30)
    with pytest.raises(ValueError, match="smoothing_window"):
        torchspec.ChromaCENS(smoothing_window="kaiser")
    with pytest.raises(ValueError, match="win_len_smooth"):
        torchspec.ChromaCENS(win_len_smooth=0)
    layer = torchspec.ChromaCQT(
        sr=8000, hop_length=64, fmin=200.0, n_octaves=2, bins_per_octave=12, tuning=0.1
    ).double()
    torch.manual_seed(0)
    y = torch.randn(2, 400, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (y,), eps=1e-6, atol=1e-6)
    tonnetz = torchspec.Tonnetz(
        sr=8000, hop_length=64, fmin=200.0, n_octaves=2, bins_per_octave=12, tuning=0.1
    ).double()
    assert torch.autograd.gradcheck(tonnetz, (y,), eps=1e-6, atol=1e-6)


def test_empty_batch_and_leading_dims():
    layer = torchspec.ChromaCENS(sr=8000, fmin=100.0, n_octaves=3, win_len_smooth=5)
    y = torch.randn(2, 3, 4000)
    out = layer(y)
    assert out.shape == (2, 3, 12, 1 + 4000 // 512)
    torch.testing.assert_close(out[1, 2], layer(y[1, 2]))
    assert layer(torch.zeros(0, 4000)).shape == (0, 12, 1 + 4000 // 512)
