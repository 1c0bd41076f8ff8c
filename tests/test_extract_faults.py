"""Fault suite for ``torchspec extract``: the real command in subprocesses, as an unlucky user
would run it. Each case checks that nothing is lost, mixed up or left invalid: every array
on disk is complete and made from the source its manifest record names, with the current
parameters; failures are recorded with a reason and leave no array; environment problems end
with one line on stderr and exit status 2, never a traceback.

Exactness of pieces (long files cut by --max-batch-seconds) is checked in process against the
whole-file layer: float32 frames equal to 1e-5 relative (the same sums in another batch shape).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from torchspec import load
from torchspec.extract import compute
from torchspec.features import FeatureSpec

SR = 16000
FAST = ["--sample-rate", str(SR), "--n-fft", "512", "--hop", "128", "--n-mels", "40"]


def tone(
    path: Path,
    seconds: float = 0.5,
    *,
    channels: int = 1,
    amplitude: float = 0.3,
    frequency: float = 440.0,
) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    data = np.stack(
        [amplitude * np.sin(2 * np.pi * frequency * (1 + c) * t) for c in range(channels)], axis=1
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, data.astype(np.float32), SR, subtype="FLOAT")
    return path


def extract(*args: str | Path, check: int | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torchspec", "extract", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if check is not None:
        assert result.returncode == check, result.stdout + result.stderr
    return result


def cqt_run(tmp_path: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``torchspec extract tmp_path/in --feature cqt --batch-size 1`` started in the background."""
    command = [
        sys.executable,
        "-m",
        "torchspec",
        "extract",
        str(tmp_path / "in"),
        "--out",
        str(out),
        *FAST,
        "--feature",
        "cqt",
        "--batch-size",
        "1",
        *extra,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def latest(out: Path) -> dict[str, dict]:
    return {r["source"]: r for r in records(out)}


def one_line_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert words in lines[0], lines[0]


def reference(path: Path, spec: FeatureSpec, dtype: torch.dtype = torch.float32) -> np.ndarray:
    waveform, _ = load(path, sample_rate=spec.sample_rate, dtype=dtype)
    pipeline = spec.pipeline()
    with torch.no_grad():
        return pipeline.finish(pipeline.frontend.to(dtype)(waveform)).numpy()


def assert_valid(out: Path, spec: FeatureSpec) -> None:
    """Every ok/skipped output exists, loads, equals its own source's feature; nothing else."""
    arrays = {p.resolve() for p in out.rglob("*.npy")}
    valid = set()
    for record in latest(out).values():
        if record["status"] in ("ok", "skipped"):
            output = Path(record["output"])
            np.testing.assert_allclose(
                np.load(output), reference(Path(record["source"]), spec), rtol=1e-4, atol=1e-4
            )
            valid.add(output.resolve())
        else:
            assert record["output"] is None and record["reason"]
    assert arrays == valid, arrays ^ valid
    assert not [p for p in out.rglob("*.tmp")]


def test_same_names_under_two_roots(tmp_path):
    a = tone(tmp_path / "A" / "clip.wav", frequency=300.0)
    b = tone(tmp_path / "B" / "clip.wav", frequency=900.0)
    together = tmp_path / "together"
    extract(a.parent, b.parent, "--out", together, *FAST, check=0)
    assert {p.relative_to(together) for p in together.rglob("*.npy")} == {
        Path("A/clip.wav.npy"),
        Path("B/clip.wav.npy"),
    }
    out = tmp_path / "out"
    extract(a.parent, "--out", out, *FAST, check=0)
    before = np.load(out / "clip.wav.npy")
    second = extract(b.parent, "--out", out, *FAST)
    one_line_error(second, "would overwrite the output of")
    np.testing.assert_array_equal(np.load(out / "clip.wav.npy"), before)
    rerun = extract(a.parent, "--out", out, *FAST, check=0)
    assert "1 skipped" in rerun.stdout
    assert_valid(out, FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40))


def test_names_are_data_and_long_names_are_shortened(tmp_path):
    weird = tone(tmp_path / "in" / "a**[b]?{c}.wav")
    long = tone(tmp_path / "in" / ("x" * 241 + ".wav"))
    out = tmp_path / "out"
    extract(tmp_path / "in", "--out", out, *FAST, check=0)
    extract(tmp_path / "in", "--out", out, *FAST, check=0)  # the rerun skips both
    by_source = latest(out)
    assert {r["status"] for r in by_source.values()} == {"skipped"}
    assert Path(by_source[str(weird)]["output"]).name == "a**[b]?{c}.wav.npy"
    shortened = Path(by_source[str(long)]["output"]).name
    assert len(shortened.encode()) <= 200 and shortened.endswith(".npy")
    assert_valid(out, FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40))


def test_spellings_of_one_folder_are_one_input(tmp_path):
    tone(tmp_path / "in" / "clip.wav")
    os.symlink(tmp_path / "in", tmp_path / "link")
    out = tmp_path / "out"
    relative = os.path.relpath(tmp_path / "in")
    result = extract(tmp_path / "in", relative, tmp_path / "link", "--out", out, *FAST, check=0)
    assert "1 done" in result.stdout
    assert len(records(out)) == 1


def test_two_runs_at_once(tmp_path):
    """Two runs started together: one works, the other stops at once naming it (exit 2);
    with --wait the second queues behind the first. No manifest record is lost."""
    for i in range(30):
        tone(tmp_path / "in" / f"c{i:02d}.wav", seconds=2.0)
    out = tmp_path / "out"

    runs = [cqt_run(tmp_path, out), cqt_run(tmp_path, out)]
    codes = sorted((run.wait(timeout=300), run) for run in runs)
    (ok, winner), (refused, loser) = codes[0], codes[1]
    assert (ok, refused) == (0, 2)
    message = loser.stderr.read().strip()
    assert message.count("\n") == 0 and f"another torchspec extract (pid {winner.pid})" in message
    runs = [cqt_run(tmp_path, out, "--n-bins", "60", "--wait") for _ in range(2)]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    statuses = [r["status"] for r in records(out)]
    assert len(statuses) == 90  # one record per input per run: 30 ok, 30 ok, 30 skipped
    assert statuses.count("ok") == 60 and statuses.count("skipped") == 30
    spec = FeatureSpec(feature="cqt", sample_rate=SR, n_fft=512, hop_length=128, n_bins=60)
    assert_valid(out, spec)


def test_killed_mid_run_then_resumed(tmp_path):
    for i in range(40):
        tone(tmp_path / "in" / f"c{i:02d}.wav", seconds=1.0)
    out = tmp_path / "out"
    process = cqt_run(tmp_path, out)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.rglob("*.npy"))) < 5:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < len(list(out.rglob("*.npy"))) < 40
    extract(tmp_path / "in", "--out", out, *FAST, "--feature", "cqt", check=0)
    spec = FeatureSpec(feature="cqt", sample_rate=SR, n_fft=512, hop_length=128, n_mels=40)
    assert_valid(out, spec)
    assert {r["status"] for r in latest(out).values()} <= {"ok", "skipped"}


def test_bad_audio_fails_with_a_reason(tmp_path):
    folder = tmp_path / "in"
    tone(folder / "good.wav")
    tone(folder / "stereo.wav", channels=2)
    nan = np.full((SR // 2, 1), 0.1, dtype=np.float32)
    nan[100] = np.nan
    soundfile.write(folder / "nan.wav", nan, SR, subtype="FLOAT")
    soundfile.write(folder / "empty.wav", np.zeros((0, 1), np.float32), SR, subtype="FLOAT")
    soundfile.write(folder / "ten.wav", np.zeros((10, 1), np.float32), SR, subtype="FLOAT")
    out = tmp_path / "out"
    result = extract(folder, "--out", out, *FAST, check=1)
    by_name = {Path(s).name: r for s, r in latest(out).items()}
    assert "NaN" in by_name["nan.wav"]["reason"]
    assert "no samples" in by_name["empty.wav"]["reason"]
    assert "too short" in by_name["ten.wav"]["reason"]
    assert np.load(by_name["stereo.wav"]["output"]).shape[0] == 2
    assert np.load(by_name["good.wav"]["output"]).shape[0] == 1
    assert "3 failed" in result.stdout
    assert_valid(out, FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40))
    mono = tmp_path / "mono"
    extract(folder, "--out", mono, *FAST, "--mono")
    assert np.load(mono / "stereo.wav.npy").shape[0] == 1


def test_float16_overflow_and_float64_exactness(tmp_path):
    loud = tone(tmp_path / "in" / "loud.wav", amplitude=1.0)
    out16 = tmp_path / "f16"
    result = extract(
        loud, "--out", out16, *FAST, "--feature", "stft", "--dtype", "float16", "--n-fft", "2048"
    )
    assert result.returncode == 1 and "overflow float16" in result.stdout
    assert not list(out16.rglob("*.npy"))
    db = extract(
        loud, "--out", out16, *FAST, "--feature", "stft", "--dtype", "float16", "--db", check=0
    )
    assert "1 done" in db.stdout and np.load(out16 / "loud.wav.npy").dtype == np.float16
    out64 = tmp_path / "f64"
    extract(loud, "--out", out64, *FAST, "--dtype", "float64", check=0)
    array = np.load(out64 / "loud.wav.npy")
    spec = FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40)
    exact = reference(loud, spec, torch.float64)
    widened = reference(loud, spec, torch.float32).astype(np.float64)
    assert array.dtype == np.float64
    error = np.abs(array - exact).max() / np.abs(exact).max()
    assert error <= 1e-12 < np.abs(widened - exact).max() / np.abs(exact).max()


def test_environment_problems_are_one_line(tmp_path):
    clip = tone(tmp_path / "in" / "clip.wav")
    (tmp_path / "file").write_text("x")
    one_line_error(extract(clip, "--out", tmp_path / "file", *FAST), "is a file")
    one_line_error(extract(clip, "--out", tmp_path / "o", "--device", "cuda"), "CUDA")
    one_line_error(extract(tmp_path / "missing", "--out", tmp_path / "o"), "does not exist")
    (tmp_path / "empty").mkdir()
    one_line_error(extract(tmp_path / "empty", "--out", tmp_path / "o"), "no audio files")


@pytest.fixture
def mount(tmp_path):
    """A small tmpfs (root only; CI runs as root) that the test remounts read-only or fills."""
    point = tmp_path / "mnt"
    point.mkdir()

    def make(options: str) -> Path:
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        return point

    yield make
    subprocess.run(["umount", str(point)], check=False)


def test_read_only_out(tmp_path, mount):
    clip = tone(tmp_path / "in" / "clip.wav")
    out = mount("ro,size=1m")
    one_line_error(extract(clip, "--out", out, *FAST), "not writable")


def test_disk_full_keeps_only_complete_arrays(tmp_path, mount):
    for i in range(12):
        tone(tmp_path / "in" / f"c{i:02d}.wav", seconds=2.0)
    out = mount("size=400k")
    result = extract(tmp_path / "in", "--out", out, *FAST, "--feature", "stft", "--batch-size", "1")
    one_line_error(result, "no space left")
    spec = FeatureSpec(feature="stft", sample_rate=SR, n_fft=512, hop_length=128, n_mels=40)
    assert 0 < len(list(out.rglob("*.npy"))) < 12
    assert_valid(out, spec)


def test_stale_outputs_after_a_parameter_change(tmp_path):
    clip = tone(tmp_path / "in" / "clip.wav")
    tone(tmp_path / "in" / "other.wav")
    out = tmp_path / "out"
    extract(tmp_path / "in", "--out", out, *FAST, check=0)
    extract(tmp_path / "in", "--out", out, *FAST[:-1], "32", check=0)  # --n-mels 32
    assert all(np.load(p).shape[1] == 32 for p in out.rglob("*.npy"))
    clip.write_bytes(b"RIFF junk")
    extract(tmp_path / "in", "--out", out, *FAST[:-1], "20", check=1)
    record = latest(out)[str(clip)]
    assert record["status"] == "failed" and record["removed_output"]
    assert not (out / "clip.wav.npy").exists()
    assert_valid(out, FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=20))


def test_no_write_through_a_symlinked_folder(tmp_path):
    tone(tmp_path / "in" / "sub" / "clip.wav")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "sub")
    result = extract(tmp_path / "in", "--out", out, *FAST, check=1)
    assert "refusing to write" in result.stdout
    assert not list(outside.iterdir())


@pytest.mark.parametrize("feature", ["stft", "mel", "cqt", "mfcc"])
def test_pieces_stitch_exactly(feature):
    """A 40 s clip computed in pieces of at most 6 s equals the whole-clip layer."""
    spec = FeatureSpec(
        feature=feature,
        sample_rate=SR,
        n_fft=1024,
        hop_length=160,
        n_mels=64,
        f_min=65.0 if feature == "cqt" else None,
        n_bins=72 if feature == "cqt" else None,
    )
    pipeline = spec.pipeline()
    rng = np.random.default_rng(0)
    t = np.arange(40 * SR) / SR
    clip = torch.from_numpy(
        (
            0.3 * np.sin(2 * np.pi * 220 * t * (1 + t / 40)) + 0.05 * rng.standard_normal(t.size)
        ).astype(np.float32)
    )[None]
    pieces = pipeline.pieces(clip.shape[-1], 6 * SR)
    assert len(pieces) > 6
    stitched = compute(
        pipeline, [clip], max_samples=6 * SR, device=torch.device("cpu"), dtype=torch.float32
    )[0]
    with torch.no_grad():
        whole = pipeline.finish(pipeline.frontend(clip))
    assert stitched.shape == whole.shape
    scale = float(whole.abs().max())
    assert float((stitched - whole).abs().max()) <= 1e-5 * scale


def test_sidecar_labels_the_axes(tmp_path):
    clip = tone(tmp_path / "in" / "clip.wav")
    out = tmp_path / "out"
    extract(
        clip, "--out", out, *FAST, "--feature", "cqt", "--f-min", "100", "--n-bins", "24", check=0
    )
    sidecar = json.loads((out / "torchspec-axes.json").read_text())
    (entry,) = sidecar.values()
    assert entry["frame_step_s"] == pytest.approx(128 / SR) and entry["frame_time_offset_s"] == 0
    hz = entry["row_frequencies_hz"]
    assert len(hz) == 24 and hz[0] == pytest.approx(100.0) and hz[12] == pytest.approx(200.0)
    record = records(out)[0]
    assert FeatureSpec(**record["params"]).feature == "cqt"
