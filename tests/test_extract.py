"""`torchspec load`, `torchspec extract` end to end, and plotting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from torchspec import AudioLoadError, load
from torchspec.cli import main
from torchspec.extract import discover, example_files
from torchspec.features import FEATURES, FeatureSpec

RATES = [8000, 16000, 22050, 44100, 48000, 96000]


def _write_corpus(root: Path, count: int = 12) -> list[Path]:
    """Clips at mixed rates (8-96 kHz), mono and stereo, WAV/FLAC/Ogg, of different lengths,
    plus a corrupt file and an empty file."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        rate = RATES[i % len(RATES)]
        channels = 1 + i % 2
        fmt = ["wav", "flac", "ogg"][i % 3]
        seconds = 0.4 + 0.15 * i
        t = np.arange(int(seconds * rate)) / rate
        tone = 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t)
        data = np.stack([tone + 0.01 * rng.standard_normal(len(t))] * channels, axis=1)
        path = root / f"set{i % 2}" / f"clip{i:02d}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, data.astype(np.float32), rate)
        paths.append(path)
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    (root / "empty.flac").write_bytes(b"")
    return paths


def _direct(path: Path, spec: FeatureSpec) -> np.ndarray:
    waveform, _ = load(path, sample_rate=spec.sample_rate)
    with torch.no_grad():
        return spec.build()(waveform).numpy()


def _manifest(out: Path) -> dict[str, dict]:
    """The latest record of every source (the manifest is append-only: one record per run)."""
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {Path(r["source"]).name: r for r in map(json.loads, lines)}


def test_load_shapes_resampling_and_errors(tmp_path):
    paths = _write_corpus(tmp_path, 4)
    stereo, rate = load(paths[1])
    assert stereo.dtype == torch.float32 and stereo.shape[0] == 2 and rate == RATES[1]
    mono, _ = load(paths[1], mono=True)
    assert mono.shape == (1, stereo.shape[1])
    resampled, rate = load(paths[1], sample_rate=8000)
    assert rate == 8000 and abs(resampled.shape[1] - stereo.shape[1] / 2) <= 1
    mp3 = tmp_path / "tone.mp3"
    soundfile.write(mp3, np.sin(np.arange(16000) / 10.0).astype(np.float32) * 0.3, 16000)
    decoded, rate = load(mp3)
    assert rate == 16000 and decoded.shape[0] == 1 and decoded.shape[1] >= 16000
    for bad in ("broken.wav", "empty.flac"):
        with pytest.raises(AudioLoadError, match=bad):
            load(tmp_path / bad)
    with pytest.raises(FileNotFoundError, match=r"missing\.ogg"):
        load(tmp_path / "missing.ogg")


@pytest.mark.parametrize("feature", FEATURES)
def test_extract_matches_the_layer_on_each_file(tmp_path, feature, capsys):
    """Batched with padding (batch of 4 clips of different lengths) == each file alone."""
    paths = _write_corpus(tmp_path / "in", 7)
    spec = FeatureSpec(feature=feature, sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)
    args = [
        "extract",
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "out"),
        "--feature",
        feature,
        "--sample-rate",
        "16000",
        "--n-fft",
        "512",
        "--hop",
        "128",
        "--n-mels",
        "40",
        "--batch-size",
        "4",
        "--workers",
        "2",
    ]
    assert main(args) == 1  # the corrupt and the empty file failed
    out = tmp_path / "out"
    records = _manifest(out)
    assert (
        records["broken.wav"]["status"] == "failed"
        and "broken.wav" in records["broken.wav"]["reason"]
    )
    assert records["empty.flac"]["status"] == "failed"
    for path in paths:
        record = records[path.name]
        assert record["status"] == "ok" and record["feature"] == feature
        output = Path(record["output"])
        assert output == out / path.relative_to(tmp_path / "in").with_name(path.name + ".npy")
        array = np.load(output)
        assert list(array.shape) == record["shape"]
        samples = load(path, sample_rate=16000)[0].shape[-1]
        assert record["duration"] == pytest.approx(samples / 16000)
        assert array.shape[-1] == 1 + samples // 128
        np.testing.assert_allclose(
            array, _direct(path, spec), rtol=1e-4, atol=1e-4 * np.abs(array).max()
        )
    summary = capsys.readouterr().out
    assert f"{len(paths)} done, 0 skipped, 2 failed" in summary and "audio hours/s" in summary


def test_rerun_skips_and_new_parameters_recompute(tmp_path):
    _write_corpus(tmp_path / "in", 3)
    base = [
        "extract",
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "out"),
        "--sample-rate",
        "16000",
    ]
    main(base)
    first = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.npy")}
    main(base)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.npy")} == first
    assert {r["status"] for r in _manifest(tmp_path / "out").values()} == {"skipped", "failed"}
    main([*base, "--n-mels", "64"])
    assert all(np.load(p).shape[-2] == 64 for p in first)


def test_two_ranks_under_torchrun(tmp_path):
    paths = _write_corpus(tmp_path / "in", 8)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "torchspec",
        "extract",
        str(tmp_path / "in"),
        "--out",
        str(out),
        "--sample-rate",
        "16000",
        "--device",
        "cpu",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0  # the bad files fail the run
    assert "8 done, 0 skipped, 2 failed" in result.stdout, result.stdout + result.stderr
    records = _manifest(out)
    assert len(records) == 10 and not list(out.glob("manifest.rank*"))
    spec = FeatureSpec(sample_rate=16000)
    for path in paths:
        np.testing.assert_allclose(
            np.load(records[path.name]["output"]), _direct(path, spec), rtol=1e-4, atol=1e-4
        )


def test_default_input_is_the_bundled_examples(tmp_path, capsys):
    assert main(["extract", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.npy"))) == len(example_files()) == 3
    assert str(tmp_path) in capsys.readouterr().out


def test_bad_arguments_are_reported_not_raised(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bins = ["extract", "--out", str(tmp_path / "o"), "--feature", "cqt", "--n-bins", "200"]
    assert main(bins) == 2
    assert "sample_rate/2" in capsys.readouterr().err


def test_outputs_never_leave_the_output_folder(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    items = discover([tmp_path / "a.wav", tmp_path])
    assert {str(i.output) for i in items} == {"a.wav.npy"}
    assert all(not i.output.is_absolute() and ".." not in i.output.parts for i in items)


@pytest.mark.parametrize("feature", ["stft", "mel", "cqt", "mfcc"])
def test_plot_command_writes_an_image(tmp_path, feature):
    example = example_files()[0]
    image = tmp_path / "fig.png"
    assert main(["plot", str(example), "--feature", feature, "--out", str(image)]) == 0
    assert image.stat().st_size > 10_000 and image.read_bytes()[:4] == b"\x89PNG"


def test_help_states_every_default():
    """Every extract option either shows ``(default: ...)`` or says its default in words."""
    import argparse

    from torchspec.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    extract = commands.choices["extract"]
    text = extract.format_help()
    for action in extract._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, action.option_strings
            shown = action.default is not None and "(default:" in extract.formatter_class(
                "x"
            )._get_help_string(action)
            assert shown or "default" in action.help, action.option_strings
    assert "(default: 600.0)" in text and "reflect for STFT features" in text


def test_presets_refuse_options_they_would_ignore(tmp_path, capsys):
    """``--preset kaldi-fbank --n-mels 80`` gave 23 bands without a word, and ``--preset
    whisper --db`` stored log values while the manifest said dB: both stop with one line now,
    before anything is written; what a preset keeps (--sample-rate, --db on librosa-mel) works."""
    out = ["--out", str(tmp_path / "o")]
    assert main(["extract", *out, "--preset", "kaldi-fbank", "--n-mels", "80", "--hop", "100"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "torchspec extract: --preset kaldi-fbank fixes its own sizes, so --hop 100, --n-mels 80 "
        "would be ignored: leave them out, or use --feature to choose every option"
    )
    for preset, scale in (("whisper", "--db"), ("kaldi-fbank", "--log"), ("ast", "--db")):
        assert main(["extract", *out, "--preset", preset, scale]) == 2
        assert "preset is already logarithmic" in capsys.readouterr().err
    assert not (tmp_path / "o" / "manifest.jsonl").exists()
    example = str(example_files()[0])
    image = str(tmp_path / "fig.png")
    assert main(["plot", example, "--preset", "whisper", "--n-fft", "512", "--out", image]) == 2
    assert "--n-fft 512 would be ignored" in capsys.readouterr().err
    assert main(["extract", *out, "--preset", "librosa-mel", "--db", "--sample-rate", "16000"]) == 0
    records = [json.loads(line) for line in (tmp_path / "o" / "manifest.jsonl").open()]
    assert {r["params"]["scale"] for r in records} == {"db"}
    assert {r["params"]["sample_rate"] for r in records} == {16000}
