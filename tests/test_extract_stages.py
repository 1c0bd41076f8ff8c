"""Each stage of ``torchspec extract`` on its own (discover, plan, decode, compute, store,
record), and the two feature options that only extract has: ``--pcen`` (checked against
librosa.pcen on librosa's mel spectrogram, float64) and ``--frontend`` (a saved module,
checked against calling the module in Python)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile
import torch

import torchspec
from torchspec.cli import main
from torchspec.extract import (
    CollisionError,
    DecodeOptions,
    Item,
    compute,
    decode,
    discover,
    make_plan,
    plan_batches,
)
from torchspec.extract.compute import check_values, compute_decoded, storable
from torchspec.extract.plan import latest_records, refuse_collisions, up_to_date
from torchspec.extract.record import Recorder
from torchspec.extract.store import NpyStore, ParquetStore, open_store
from torchspec.features import FeatureSpec
from torchspec.frontend_file import load_frontend
from torchspec.outputs import OutputFolder

SR = 16000
SPEC = FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40)


def tone(path: Path, seconds: float, frequency: float = 440.0, channels: int = 1) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    data = np.stack([0.3 * np.sin(2 * np.pi * frequency * (c + 1) * t) for c in range(channels)])
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, data.T.astype(np.float32), SR, subtype="FLOAT")
    return path


def options(**changes: object) -> DecodeOptions:
    base = {"sample_rate": SR, "dtype": torch.float32, "mono": False, "channels": None}
    return DecodeOptions(**{**base, "min_samples": 257, **changes})  # type: ignore[arg-type]


# discover -------------------------------------------------------------------------------------


def test_discover_two_roots_keep_their_names(tmp_path):
    tone(tmp_path / "a" / "x.wav", 0.1)
    tone(tmp_path / "b" / "x.wav", 0.1)
    (tmp_path / "a" / "notes.txt").write_text("not audio")
    items = discover([tmp_path / "b", tmp_path / "a", tmp_path / "a" / "x.wav"])
    assert sorted(str(i.output) for i in items) == ["a/x.wav.npy", "b/x.wav.npy"]
    assert all(i.source.is_absolute() for i in items)
    with pytest.raises(FileNotFoundError, match="missing"):
        discover([tmp_path / "missing"])


# plan -----------------------------------------------------------------------------------------


def test_plan_batches_by_total_seconds():
    durations = [5.0, 1.0, 2.0, 30.0, 2.0]
    batches = plan_batches(durations, max_seconds=8.0, batch_size=3)
    assert batches == [[1, 2, 4], [0], [3]]  # sorted; 4 x 2 s > 8; 30 s alone
    assert sorted(i for b in batches for i in b) == list(range(5))
    assert plan_batches([], max_seconds=1.0, batch_size=1) == []


def test_plan_skips_only_what_is_up_to_date(tmp_path):
    source = tone(tmp_path / "in" / "a.wav", 0.2)
    output = tmp_path / "a.wav.npy"
    np.save(output, np.zeros(3))
    item = Item(source.resolve(), Path("a.wav.npy"))
    s, o = source.stat(), output.stat()
    old = {
        "run": "r1",
        "source": str(item.source),
        "status": "ok",
        "params_id": "p",
        "file": "a.wav.npy",
        "output": str(output),
        "source_size": s.st_size,
        "source_mtime_ns": s.st_mtime_ns,
        "output_size": o.st_size,
        "output_mtime_ns": o.st_mtime_ns,
    }
    assert up_to_date(old, item, "p", "npy")
    assert not up_to_date(old, item, "other parameters", "npy")
    assert not up_to_date(old, item, "p", "parquet")  # another format is another output
    assert not up_to_date({**old, "status": "failed"}, item, "p", "npy")
    assert not up_to_date({**old, "output_size": 1}, item, "p", "npy")
    plan = make_plan(
        [item], {str(item.source): old}, params_id="p", output_format="npy", max_seconds=10,
        batch_size=4,
    )  # fmt: skip
    assert [i for i, _ in plan.skipped] == [item] and plan.pending == [] and plan.batches == []
    os.utime(source, ns=(s.st_atime_ns, s.st_mtime_ns + 10**9))  # the source changed
    plan = make_plan(
        [item], {str(item.source): old}, params_id="p", output_format="npy", max_seconds=10,
        batch_size=4,
    )  # fmt: skip
    assert plan.pending == [item] and plan.batches == [[0]]


def test_collisions_with_an_earlier_run_stop_the_plan(tmp_path):
    item = Item(tmp_path / "new.wav", Path("x.wav.npy"))
    latest = latest_records(
        [
            {"source": "/old.wav", "status": "ok", "file": "x.wav.npy"},
            {"source": "/gone.wav", "status": "failed", "file": "y.wav.npy"},
        ]
    )
    with pytest.raises(CollisionError, match=r"would overwrite the output of /old\.wav"):
        refuse_collisions([item], latest)
    refuse_collisions([Item(tmp_path / "new.wav", Path("y.wav.npy"))], latest)  # failed: free


# decode ---------------------------------------------------------------------------------------


def test_decode_returns_a_waveform_or_the_reason(tmp_path):
    stereo = tone(tmp_path / "s.wav", 0.1, channels=2)
    item = Item(stereo, Path("s.wav.npy"))
    assert decode(item, options()).shape == (2, 1600)
    assert decode(item, options(mono=True)).shape == (1, 1600)
    assert decode(item, options(channels=[1])).shape == (1, 1600)
    assert "has 2 channel(s); --channels asks for channel 2" in decode(item, options(channels=[2]))
    assert "too short for this feature (it needs at least 2000)" in decode(
        item, options(min_samples=2000)
    )
    broken = tmp_path / "b.wav"
    broken.write_bytes(b"RIFF....WAVEfmt garbage")
    assert str(broken) in decode(Item(broken, Path("b.wav.npy")), options())
    nan = tmp_path / "n.wav"
    soundfile.write(nan, np.full(800, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    assert "NaN or infinite samples" in decode(Item(nan, Path("n.wav.npy")), options())


# compute and check ----------------------------------------------------------------------------


def test_compute_decoded_keeps_failures_in_place():
    pipeline = SPEC.pipeline()
    clips: list[tuple[int, torch.Tensor | str]] = [
        (3, torch.randn(1, 4000)),
        (5, "could not decode"),
        (7, torch.randn(2, 2500)),
    ]
    out = compute_decoded(
        pipeline, clips, max_samples=10**6, device=torch.device("cpu"), dtype=torch.float32
    )
    assert [(i, s) for i, _, s in out] == [(3, 4000), (5, 0), (7, 2500)]
    assert out[1][1] == "could not decode"
    for (_, clip), (_, array, _) in zip(clips[::2], out[::2], strict=True):
        with torch.no_grad():
            alone = pipeline.frontend(clip)
        torch.testing.assert_close(array, alone, rtol=1e-5, atol=1e-5 * float(alone.max()))


def test_compute_batch_isolates_a_refused_clip():
    """A clip the layer refuses fails alone; the rest of its batch is computed."""
    from torchspec.extract.compute import compute_batch

    pipeline = SPEC.pipeline()
    good, short = torch.randn(1, 3000), torch.randn(1, 100)  # reflect needs > 256 samples
    out = compute_batch(
        pipeline, [good, short], max_samples=10**6, device=torch.device("cpu"),
        dtype=torch.float32,
    )  # fmt: skip
    assert isinstance(out[0], torch.Tensor) and isinstance(out[1], str)


def test_check_values_and_storable():
    assert check_values(torch.tensor([1.0, float("nan")]), torch.float32) == (
        "the feature has NaN or infinite values"
    )
    assert "overflow float16" in check_values(torch.tensor([7e4]), torch.float16)
    assert check_values(torch.tensor([6e4]), torch.float16) is None
    x = torch.tensor([1.0 + 2**-10])
    assert storable(x, torch.bfloat16).dtype == torch.float32
    assert float(storable(x, torch.bfloat16)) == 1.0  # rounded to bfloat16's 8 bits


# store and record -----------------------------------------------------------------------------


def _recorder(folder: OutputFolder, store, dtype=torch.float32) -> Recorder:
    common = {"run": "r1", "params_id": "p", "params": {}, "dtype": "float32"}
    return Recorder(folder.open_manifest(), store, common, dtype=dtype, sample_rate=SR)


def test_records_enter_the_manifest_only_once_the_shard_is_written(tmp_path):
    sources = [tone(tmp_path / "in" / f"{i}.wav", 0.1) for i in range(5)]
    folder = OutputFolder(tmp_path / "out")
    store = ParquetStore(folder, {"params_id": "p"}, shard_mb=3 * 400 / 2**20, tag="t")
    recorder = _recorder(folder, store)
    arrays = [torch.full((1, 10, 10), float(i)) for i in range(5)]  # 400 bytes each
    for i, source in enumerate(sources[:2]):
        recorder.computed(Item(source, Path(f"{i}.wav.npy")), arrays[i], 1600)
    assert not list(folder.records())  # buffered, nothing durable yet
    recorder.computed(Item(sources[2], Path("2.wav.npy")), arrays[2], 1600)  # 1200 B: a shard
    assert [r["row"] for r in folder.records()] == [0, 1, 2]
    recorder.computed(Item(sources[3], Path("3.wav.npy")), "bad audio", 0)
    recorder.computed(Item(sources[4], Path("4.wav.npy")), arrays[4], 1600)
    summary = recorder.close()
    assert (summary.done, summary.failed) == (4, 1) and summary.audio_seconds == pytest.approx(0.4)
    records = list(folder.records())
    shards = sorted((tmp_path / "out" / "shards").glob("*.parquet"))
    assert len(shards) == 2 and not list((tmp_path / "out").rglob("*.tmp"))
    assert records[3]["status"] == "failed" and records[3]["reason"].startswith(str(sources[3]))
    assert records[4]["output"] == str(shards[1]) and records[4]["row"] == 0
    assert (tmp_path / "out" / "shards" / "torchspec-axes.json").is_file()


def test_npy_store_refuses_a_path_outside_the_folder(tmp_path):
    folder = OutputFolder(tmp_path / "out")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path / "elsewhere")
    source = tone(tmp_path / "a.wav", 0.1)
    recorder = _recorder(folder, NpyStore(folder, {"params_id": "p"}))
    recorder.computed(Item(source, Path("link/a.wav.npy")), torch.zeros(1, 2, 3), 1600)
    record = recorder.close() and list(folder.records())[-1]
    assert record["status"] == "failed" and "outside" in record["reason"]
    assert not list((tmp_path / "elsewhere").iterdir())


def test_unknown_format_and_shard_size_are_errors(tmp_path):
    folder = OutputFolder(tmp_path / "out")
    with pytest.raises(ValueError, match="--format must be one of npy, parquet"):
        open_store("hdf5", folder, {}, shard_mb=1, rank=0)
    with pytest.raises(ValueError, match="--shard-mb must be > 0"):
        open_store("parquet", folder, {}, shard_mb=0, rank=0)


# --pcen ---------------------------------------------------------------------------------------


def test_pcen_equals_librosa(tmp_path):
    """``--pcen``: librosa.pcen (its defaults, sr and hop given) of librosa's mel spectrogram
    (htk, no norm, reflect padding as the spec), float64 through extract. Tolerance 1e-9
    relative: the float64 mel matches librosa's to ~1e-8 of its peak and PCEN's power 0.5
    halves relative errors."""
    path = tone(tmp_path / "in" / "a.wav", 1.3, frequency=300.0)
    out = tmp_path / "out"
    args = ["extract", str(path), "--out", str(out), "--sample-rate", str(SR), "--n-fft", "512"]
    assert main([*args, "--hop", "128", "--n-mels", "40", "--pcen", "--dtype", "float64"]) == 0
    (record,) = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert record["params"]["pcen"] is True
    ours = np.load(record["output"])[0]
    y = soundfile.read(path, dtype="float64")[0]
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=512, hop_length=128, n_mels=40, htk=True, norm=None, pad_mode="reflect"
    )
    expected = librosa.pcen(mel, sr=SR, hop_length=128)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-7 * np.abs(expected).max())


def test_pcen_refuses_other_features():
    with pytest.raises(ValueError, match="pcen normalises a mel spectrogram"):
        FeatureSpec(feature="cqt", pcen=True)
    with pytest.raises(ValueError, match="pcen normalises a mel spectrogram"):
        FeatureSpec(feature="mel", scale="db", pcen=True)


# --frontend -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "export"])
def test_saved_frontend_equals_the_module(tmp_path, kind):
    module = torch.nn.Sequential(
        torchspec.MelSpectrogram(SR, n_fft=400, hop_length=160, n_mels=32),
        torchspec.AmplitudeToDB(top_db=None),
    )
    saved = torchspec.save_frontend(module, tmp_path / "fe.pt", sample_rate=SR, kind=kind)
    paths = [
        tone(tmp_path / "in" / f"{i}.wav", 0.3 + 0.25 * i, channels=1 + i % 2) for i in range(3)
    ]
    out = tmp_path / "out"
    assert main(["extract", str(tmp_path / "in"), "--out", str(out), "--frontend", str(saved)]) == 0
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert {r["feature"] for r in records} == {"frontend"}
    assert records[0]["params"]["sample_rate"] == SR and len(records[0]["params"]["sha256"]) == 64
    for path in paths:
        record = next(r for r in records if r["source"] == str(path.resolve()))
        waveform, _ = torchspec.load(path)
        with torch.no_grad():
            expected = module(waveform).numpy()
        np.testing.assert_array_equal(np.load(record["output"]), expected)
    assert main(["extract", str(tmp_path / "in"), "--out", str(out), "--frontend", str(saved)]) == 0
    assert {json.loads(line)["status"] for line in (out / "manifest.jsonl").open()} == {
        "ok",
        "skipped",
    }


def test_saved_frontend_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match="maps \\(batch, time\\) to \\(batch, rows, frames\\)"):
        torchspec.save_frontend(torch.nn.Identity(), tmp_path / "x.pt", sample_rate=SR)
    with pytest.raises(ValueError, match="sample_rate must be a positive integer"):
        torchspec.save_frontend(torchspec.Spectrogram(), tmp_path / "x.pt", sample_rate=0)
    with pytest.raises(ValueError, match="kind must be one of script, export"):
        torchspec.save_frontend(torchspec.Spectrogram(), tmp_path / "x.pt", sample_rate=1, kind="x")
    (tmp_path / "junk.pt").write_bytes(b"not a module")
    with pytest.raises(ValueError, match=r"neither a TorchScript file nor a torch\.export program"):
        load_frontend(tmp_path / "junk.pt")
    plain = tmp_path / "plain.pt"
    torch.jit.save(torch.jit.script(torchspec.Spectrogram()), plain)
    with pytest.raises(ValueError, match="holds no sample rate"):
        load_frontend(plain)
    saved = torchspec.save_frontend(torchspec.Spectrogram(), tmp_path / "fe.pt", sample_rate=SR)
    args = ["extract", "--out", str(tmp_path / "o"), "--frontend", str(saved)]
    assert main([*args, "--sample-rate", "8000"]) == 2
    assert "takes 16000 Hz audio; --sample-rate 8000 disagrees" in capsys.readouterr().err
    assert main([*args, "--preset", "whisper"]) == 2
    assert "--frontend replaces --preset and --pcen" in capsys.readouterr().err
    assert main(["extract", "--out", str(tmp_path / "o"), "--frontend", "nope.pt"]) == 2
    assert "--frontend nope.pt does not exist" in capsys.readouterr().err


def test_compute_is_exported_for_pieces():
    """``compute`` (the stitching of long clips) stays importable from the package."""
    assert compute.__module__ == "torchspec.extract.compute"
