"""``torchspec plot`` for every feature and preset, and on extract's own .npy outputs: the
image holds the stored feature (rows x frames, not transposed), linear features in dB re the
peak (0 at the top, 80 dB range), log and normalised features as they are, labelled."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

import torchspec
from torchspec.cli import build_parser, draw_file, main
from torchspec.extract import example_files
from torchspec.features import FEATURES, PRESETS, FeatureSpec

matplotlib.use("Agg")
TONES = str(next(p for p in example_files() if "tones" in p.name))


def drawn(figure) -> tuple[np.ndarray, str, str]:
    ax = figure.axes[0]
    mesh = ax.collections[0]
    values = np.asarray(mesh.get_array()).reshape(mesh._coordinates.shape[0] - 1, -1)
    return values, figure.axes[1].get_ylabel(), ax.get_ylabel()


@pytest.mark.parametrize("name", FEATURES + PRESETS)
def test_every_feature_and_preset_draws_the_stored_feature(name: str, tmp_path: Path) -> None:
    option = ["--preset" if name in PRESETS else "--feature", name]
    assert main(["extract", TONES, "--out", str(tmp_path), *option]) == 0
    stored = np.load(next(tmp_path.glob("*.npy")))[0].astype(np.float64)  # what extract wrote
    args = build_parser().parse_args(["plot", TONES, *option])
    values, bar, rows_label = drawn(draw_file(args))
    assert values.shape == stored.shape  # rows x frames, as stored
    spec = FeatureSpec(feature=name, sample_rate=16000)
    label = spec.pipeline().drawn_as()
    if label is None:  # a power or magnitude: dB re its peak
        assert values.max() == pytest.approx(0.0, abs=1e-6)
        assert values.min() >= -80.0 - 1e-6
        assert bar.startswith("dB re max")
    else:  # as it is
        np.testing.assert_allclose(values, stored, rtol=1e-5, atol=1e-5 * np.abs(stored).max())
        assert bar == label
    music = {
        "chroma": "pitch class (0 = C)",
        "chroma-cqt": "pitch class (0 = C)",
        "onset": "onset",
        "tempogram": "lag (frames)",
    }
    coefficients = name in ("mfcc", "kaldi-mfcc", "librosa-mfcc")
    expected = music.get(name, "coefficient" if coefficients else "frequency (Hz)")
    assert rows_label == expected


def test_plot_reads_extract_outputs_with_their_axes(tmp_path: Path) -> None:
    out = tmp_path / "features"
    assert main(["extract", TONES, "--out", str(out), "--preset", "kaldi-fbank"]) == 0
    stored = next(out.glob("*.npy"))
    image = tmp_path / "image.png"
    assert main(["plot", str(stored), "--out", str(image)]) == 0
    assert image.stat().st_size > 0
    args = build_parser().parse_args(["plot", str(stored)])
    values, bar, _ = drawn(draw_file(args))
    np.testing.assert_allclose(values, np.load(stored)[0], rtol=1e-6)
    assert "natural log" in bar


def test_an_npy_outside_an_output_folder_says_so(tmp_path: Path, capsys) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 4), dtype=np.float32))
    assert main(["plot", str(tmp_path / "x.npy"), "--out", str(tmp_path / "x.png")]) == 2
    assert "not listed in the manifest" in capsys.readouterr().err


def test_decibels_are_drawn_as_given_and_mel_ticks_do_not_crowd() -> None:
    mel = torchspec.MelSpectrogram(22050, n_fft=2048, hop_length=512, n_mels=128)
    db = torchspec.AmplitudeToDB(ref="max")(mel(torch.randn(22050)))
    figure = torchspec.plot(mel, db)
    values, bar, _ = drawn(figure)
    np.testing.assert_allclose(values, db.double().numpy(), rtol=1e-6)
    assert bar == "dB (as given)"
    ticks = [float(t) for t in figure.axes[0].get_yticks()]
    mels = torchspec.functional.hz_to_mel(torch.tensor(ticks), "htk")
    top = float(torchspec.functional.hz_to_mel(torch.tensor(11025.0), "htk"))
    assert float(mels.diff().min()) >= 0.04 * top  # 20, 50 and 100 Hz are not all labelled
    assert {100.0, 1000.0} <= set(ticks)


def test_help_is_plain_text_and_names_the_default_image() -> None:
    parser = build_parser()
    text = parser.format_help()
    assert "``" not in text and "torchspec: audio features" in text
    plot_help = parser._subparsers._group_actions[0].choices["plot"].format_help()
    assert "torchspec-plot.png" in plot_help


def test_plot_without_matplotlib_says_which_extra(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)  # import fails
    assert main(["plot", TONES, "--out", str(tmp_path / "x.png")]) == 2
    assert "pip install 'torchspec[plot]'" in capsys.readouterr().err
