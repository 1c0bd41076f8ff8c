"""torchspec.load: errors a user can act on, file-like objects, and librosa's resampled length.

Resampling reference: ``librosa.resample(y, orig_sr=, target_sr=, res_type="soxr_hq")`` (soxr
underneath, length fixed to ``ceil(n * target / orig)``): same length, values within 1e-6 (the
same soxr filter; the last sample is zero-padded where soxr returns one fewer).
"""

from __future__ import annotations

import io

import librosa
import numpy as np
import pytest
import soundfile
import torch

from torchspec import AudioLoadError, load


def _tone(path, rate: int, n: int, channels: int = 1) -> np.ndarray:
    t = np.arange(n) / rate
    data = np.stack([0.3 * np.sin(2 * np.pi * 440 * (c + 1) * t) for c in range(channels)], 1)
    soundfile.write(path, data.astype(np.float32), rate, subtype="FLOAT")
    return data


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.wav"):
        load(tmp_path / "nothing.wav")


def test_undecodable_data_is_an_os_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(AudioLoadError, match=r"bad\.wav") as caught:
        load(bad)
    assert isinstance(caught.value, OSError)


def test_file_like_objects(tmp_path):
    path = tmp_path / "a.wav"
    data = _tone(path, 16000, 1600, channels=2)
    from_path, rate = load(path)
    from_bytes, rate_bytes = load(io.BytesIO(path.read_bytes()))
    with open(path, "rb") as handle:
        from_handle, _ = load(handle)
    assert rate == rate_bytes == 16000
    assert torch.equal(from_path, from_bytes) and torch.equal(from_path, from_handle)
    np.testing.assert_allclose(from_path.numpy(), data.T, atol=1e-7)


@pytest.mark.parametrize("mono", ["yes", 1, None])
def test_mono_must_be_a_bool(tmp_path, mono):
    path = tmp_path / "a.wav"
    _tone(path, 8000, 800)
    with pytest.raises(TypeError, match="mono"):
        load(path, mono=mono)


@pytest.mark.parametrize(
    ("rate", "target", "n"),
    [(44100, 16000, 44101), (22050, 16000, 9999), (8000, 22050, 8001), (48000, 44100, 4801)],
)
def test_resampled_length_and_values_match_librosa(tmp_path, rate, target, n):
    path = tmp_path / "a.wav"
    data = _tone(path, rate, n)[:, 0]
    ours, got = load(path, sample_rate=target, dtype=torch.float64)
    expected = librosa.resample(
        data.astype(np.float64), orig_sr=rate, target_sr=target, res_type="soxr_hq"
    )
    assert got == target and ours.shape == (1, expected.shape[-1])
    np.testing.assert_allclose(ours[0].numpy(), expected, atol=1e-6)
