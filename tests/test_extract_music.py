"""``torchspec extract --feature chroma|chroma-cqt|onset|tempogram`` and ``--deltas``.

References: what librosa 0.11 computes for each decoded file (and channel) alone, and Kaldi's
``add-deltas`` (kaldi-native-fbank's ``compute_deltas``, the same arithmetic in float32).
extract computes and stores in float32: 1e-4 of the peak for chroma, onset strength and the
tempogram (float32 sums over an STFT; the tuning estimate lands in the same histogram bin),
1e-5 for the deltas (sums of nine float32 terms). ``chroma-cqt`` is librosa's chroma of the
exact constant-Q transform (``tests/test_tonal.py``): against librosa's own, which resamples,
0.15. Long clips cut into pieces by the compute stage give the same arrays as whole clips.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import kaldi_native_fbank as knf
import librosa
import numpy as np
import pytest
import soundfile
import torch

from torchspec import load
from torchspec.cli import main
from torchspec.extract import compute
from torchspec.features import FeatureSpec

SR = 22050


def _corpus(root: Path) -> list[Path]:
    """Three clips: a detuned chord (stereo, one channel quieter), a click train at 120 BPM,
    and a chirp with noise; 2-3 s each."""
    rng = np.random.default_rng(4)
    paths = []
    t = np.arange(int(2.5 * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * 2 ** (0.2 / 12) * t) for f in (261.6, 329.6, 392.0)) / 4
    clicks = np.zeros(3 * SR)
    clicks[:: SR // 2] = 1.0
    clicks = np.convolve(clicks, np.hanning(64), mode="same") * 0.5
    chirp = 0.3 * np.sin(2 * np.pi * (100 * t + 800 * t**2)) + 0.01 * rng.standard_normal(t.size)
    for name, data in (
        ("chord.wav", np.stack([chord, 0.5 * chord], axis=1)),
        ("clicks.flac", clicks[:, None]),
        ("chirp.wav", chirp[:, None]),
    ):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, data.astype(np.float32), SR)
        paths.append(path)
    return paths


def _extract(tmp_path: Path, *options: str) -> dict[str, np.ndarray]:
    _corpus(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["extract", str(tmp_path / "in"), "--out", str(out), *options]) == 0
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    return {Path(r["source"]).name: np.load(r["output"]) for r in records}


def _peak_error(actual: np.ndarray, expected: np.ndarray) -> float:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    return float(np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-30))


REFERENCES = {
    "chroma": (lambda y: librosa.feature.chroma_stft(y=y, sr=SR), 1e-4),
    "chroma-cqt": (lambda y: librosa.feature.chroma_cqt(y=y, sr=SR), 0.15),
    "onset": (lambda y: librosa.onset.onset_strength(y=y, sr=SR)[None], 1e-4),
    "tempogram": (lambda y: librosa.feature.tempogram(y=y, sr=SR), 1e-4),
}


@pytest.mark.parametrize("feature", list(REFERENCES))
def test_music_features_equal_librosa_per_file(tmp_path, feature):
    arrays = _extract(tmp_path, "--feature", feature)
    reference, bound = REFERENCES[feature]
    for name, array in arrays.items():
        waveform, _ = load(tmp_path / "in" / name, sample_rate=SR)
        assert array.shape[0] == waveform.shape[0]
        for channel, y in enumerate(waveform.double().numpy()):
            assert _peak_error(array[channel], reference(y)) < bound, (name, channel)


@pytest.mark.parametrize("feature", ["chroma", "onset", "tempogram"])
def test_long_clips_in_pieces_equal_whole_clips(tmp_path, feature):
    """The compute stage cuts a clip into pieces of at most 8192 samples and stitches the
    frontend's frames; the per-clip step (tuning, dB floor, tempogram) sees the whole clip."""
    path = _corpus(tmp_path)[2]
    clip, _ = load(path, sample_rate=SR)
    pipeline = FeatureSpec(feature=feature).pipeline()
    pipeline.frontend.double()
    (pieces,) = compute(
        pipeline, [clip], max_samples=8192, device=torch.device("cpu"), dtype=torch.float64
    )
    assert len(pipeline.pieces(clip.shape[-1], 8192)) > 3
    with torch.no_grad():
        whole = FeatureSpec(feature=feature).build().double()(clip.double())
    assert _peak_error(pieces.numpy(), whole.numpy()) < 1e-9


def test_deltas_are_kaldis_add_deltas(tmp_path):
    base = _extract(tmp_path / "base", "--preset", "kaldi-fbank")
    with_deltas = _extract(tmp_path / "deltas", "--preset", "kaldi-fbank", "--deltas", "2")
    for name, fbank in base.items():
        array = with_deltas[name]
        assert array.shape == (fbank.shape[0], 3 * fbank.shape[1], fbank.shape[2])
        np.testing.assert_array_equal(array[:, : fbank.shape[1]], fbank)
        for channel in range(fbank.shape[0]):
            options = knf.DeltaOptions(order=2, window=2)
            expected = knf.compute_deltas(options, np.ascontiguousarray(fbank[channel].T)).T
            assert _peak_error(array[channel], expected) < 1e-5, name


def test_first_order_deltas_of_a_feature_and_the_manifest_says_so(tmp_path):
    arrays = _extract(tmp_path, "--feature", "mfcc", "--deltas", "1", "--n-mfcc", "13")
    records = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()
    assert json.loads(records[0])["params"]["deltas"] == 1
    axes = json.loads((tmp_path / "out" / "torchspec-axes.json").read_text())
    (sidecar,) = axes.values()  # one entry per parameter set
    assert "order 1 .. 1" in sidecar["deltas"]
    for array in arrays.values():
        assert array.shape[1] == 26
        options = knf.DeltaOptions(order=1, window=2)
        expected = knf.compute_deltas(options, np.ascontiguousarray(array[0, :13].T)).T
        assert _peak_error(array[0], expected) < 1e-5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--feature", "chroma", "--db"], "do not apply"),
        (["--feature", "onset", "--no-center"], "centred"),
        (["--feature", "mel", "--deltas", "3"], "invalid choice"),
    ],
)
def test_options_that_do_not_apply_are_refused(tmp_path, options, message, capsys):
    _corpus(tmp_path / "in")
    with pytest.raises(SystemExit) if "invalid" in message else contextlib.nullcontext():
        code = main(["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *options])
        assert code != 0
    captured = capsys.readouterr()
    assert message in captured.err + captured.out
