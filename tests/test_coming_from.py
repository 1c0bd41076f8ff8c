"""Every line of the README's "Coming from" block runs, and each ``# librosa:`` call equals the
torchspec line after it: 1e-5 relative in float64 (the torchspec lines compute librosa's
definition; the CQT line uses the direct route, librosa's own multirate CQT is ~1% from the
definition, so the comparison there is at 2e-2 relative)."""

from __future__ import annotations

import re
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

import torchspec

README = Path(__file__).resolve().parents[1] / "README.md"


def _block() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Coming from librosa") :]
    block = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert block
    return block.group(1).splitlines()


def _pairs() -> list[tuple[str, str, str]]:
    lines = _block()
    pairs = []
    for i, line in enumerate(lines):
        match = re.match(r"# (librosa|nnAudio): (.*)", line)
        if match:
            pairs.append((match.group(1), match.group(2), lines[i + 1]))
    return pairs


def _namespace() -> dict[str, object]:
    namespace: dict[str, object] = {}
    for line in _block()[:2]:
        exec(line, namespace)  # the imports and the signal
    return namespace


@pytest.mark.parametrize(("origin", "reference", "ours"), _pairs(), ids=lambda v: v[:40])
def test_each_line_is_the_reference(origin, reference, ours):
    namespace = _namespace()
    result = eval(ours, namespace)
    if origin == "nnAudio":
        assert isinstance(result, torch.nn.Module)
        return
    expected = np.asarray(eval(reference, {**namespace, "librosa": librosa, "np": np}))
    actual = torch.as_tensor(result).numpy()
    assert actual.shape == expected.shape
    tolerance = 2e-2 if "cqt(" in reference else 1e-5
    error = np.linalg.norm(actual - expected) / np.linalg.norm(expected)
    assert error <= tolerance, error


def test_every_reference_line_is_paired():
    assert len(_pairs()) == sum(1 for line in _block() if line.startswith("# librosa:")) + 4
    assert all(not ours.startswith("#") for _, _, ours in _pairs())


@pytest.mark.parametrize("top_db", [80.0, None])
def test_amplitude_to_db_docstring_calls(top_db):
    """The exact calls AmplitudeToDB's docstring states."""
    spec = np.random.default_rng(1).random((64, 40)) ** 4
    expected = librosa.power_to_db(spec, ref=np.max, top_db=top_db)
    actual = torchspec.AmplitudeToDB(top_db=top_db, ref="max")(torch.from_numpy(spec))
    np.testing.assert_allclose(actual.numpy(), expected, atol=1e-8)


def test_empty_mel_filters_warn():
    with pytest.warns(UserWarning, match="8 of 128 mel filters are empty"):
        torchspec.MelSpectrogram(16000, n_fft=320, n_mels=128)
