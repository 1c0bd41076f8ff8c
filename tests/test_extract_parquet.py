"""``torchspec extract --format parquet`` and :class:`torchspec.FeatureDataset`.

Arrays read back from the shards with pyarrow, Hugging Face ``datasets`` and
``FeatureDataset`` must equal the ``npy`` format's arrays exactly (the same float32 values
written twice); Ray's ``read_parquet`` is checked in tests/test_extract_ray.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import soundfile
import torch

from torchspec import FeatureDataset, pad_collate
from torchspec.cli import main

SR = 16000
FAST = ["--sample-rate", str(SR), "--n-fft", "512", "--hop", "128", "--n-mels", "40"]


def corpus(folder: Path, count: int = 9) -> list[Path]:
    paths = []
    for i in range(count):
        seconds = 0.3 + 0.11 * i
        t = np.arange(int(seconds * SR)) / SR
        channels = 2 if i % 3 == 0 else 1
        data = np.stack([0.2 * np.sin(2 * np.pi * 300 * (1 + i + c) * t) for c in range(channels)])
        path = folder / f"sub{i % 2}" / f"clip{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, data.T.astype(np.float32), SR, subtype="FLOAT")
        paths.append(path)
    return paths


def extract(inputs: Path, out: Path, *extra: str) -> int:
    return main(["extract", str(inputs), "--out", str(out), *FAST, *extra])


def latest(out: Path) -> dict[str, dict]:
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    return {r["source"]: r for r in records}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The same corpus extracted as npy and as parquet (shards of about 40 KiB: several)."""
    root = tmp_path_factory.mktemp("parquet")
    corpus(root / "in")
    (root / "in" / "broken.wav").write_bytes(b"RIFF nonsense")
    assert extract(root / "in", root / "npy") == 1
    assert extract(root / "in", root / "pq", "--format", "parquet", "--shard-mb", "0.04") == 1
    return root


def test_shards_hold_the_npy_arrays(folders):
    npy, pq_out = latest(folders / "npy"), latest(folders / "pq")
    shards = sorted((folders / "pq" / "shards").glob("*.parquet"))
    assert len(shards) >= 3 and not list((folders / "pq").rglob("*.npy"))
    assert pq_out.keys() == npy.keys()
    rows = {}
    for shard in shards:
        table = pq.read_table(shard)
        assert table.schema.names == [
            "file", "path", "source", "sample_rate", "shape", "dtype", "feature",
        ]  # fmt: skip
        for i, row in enumerate(table.to_pylist()):
            rows[(str(shard), i)] = row
    for source, record in pq_out.items():
        assert record["status"] == npy[source]["status"]
        if record["status"] == "failed":
            assert record["output"] is None and "broken.wav" in record["reason"]
            continue
        assert record["format"] == "parquet"
        row = rows[(record["output"], record["row"])]
        assert row["source"] == source and row["file"] == record["file"]
        assert row["path"] == record["file"].removesuffix(".npy")
        assert row["shape"] == record["shape"] and row["sample_rate"] == SR
        array = np.asarray(row["feature"], dtype=row["dtype"]).reshape(row["shape"])
        np.testing.assert_array_equal(array, np.load(npy[source]["output"]))


def test_hugging_face_datasets_reads_the_shards(folders):
    import datasets

    shards = sorted(str(p) for p in (folders / "pq" / "shards").glob("*.parquet"))
    data = datasets.load_dataset("parquet", data_files=shards, split="train")
    npy = latest(folders / "npy")
    assert len(data) == sum(r["status"] == "ok" for r in npy.values())
    for row in data:
        array = np.asarray(row["feature"], dtype=row["dtype"]).reshape(row["shape"])
        np.testing.assert_array_equal(array, np.load(npy[row["source"]]["output"]))


@pytest.mark.parametrize("kind", ["npy", "pq"])
def test_feature_dataset_reads_either_format(folders, kind):
    npy = latest(folders / "npy")
    data = FeatureDataset(folders / kind)
    assert len(data) == sum(r["status"] == "ok" for r in npy.values()) == 9
    sources = [data[i][1]["source"] for i in range(len(data))]
    assert sources == sorted(sources)
    for i in range(len(data)):
        feature, record = data[i]
        assert feature.dtype == torch.float32 and list(feature.shape) == record["shape"]
        np.testing.assert_array_equal(feature.numpy(), np.load(npy[record["source"]]["output"]))


def test_feature_dataset_in_a_dataloader_with_workers(folders):
    data = FeatureDataset(folders / "pq")
    mono = [i for i in range(len(data)) if data.records[i]["shape"][0] == 1]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(data, mono), batch_size=4, num_workers=2, collate_fn=pad_collate
    )
    seen = 0
    for features, lengths, records in loader:
        assert features.shape[:3] == (len(records), 1, 40)
        assert features.shape[-1] == int(lengths.max())
        for feature, length, record in zip(features, lengths, records, strict=True):
            assert int(length) == record["shape"][-1]
            assert bool((feature[..., int(length) :] == 0).all())
            stored = np.load(latest(folders / "npy")[record["source"]]["output"])
            np.testing.assert_array_equal(feature[..., : int(length)].numpy(), stored)
            seen += 1
    assert seen == len(mono) == 6


def test_pad_collate_refuses_mixed_channels_and_pads_with_a_value():
    a = (torch.ones(1, 2, 3), {"n": 1})
    b = (torch.ones(1, 2, 5), {"n": 2})
    features, lengths, records = pad_collate([a, b], pad_value=-100.0)
    assert lengths.tolist() == [3, 5] and [r["n"] for r in records] == [1, 2]
    assert features[0, ..., 3:].eq(-100.0).all() and features[1].eq(1).all()
    with pytest.raises(ValueError, match="--mono or --channels"):
        pad_collate([a, (torch.ones(2, 2, 3), {})])
    with pytest.raises(ValueError, match="empty batch"):
        pad_collate([])


def test_rerun_adds_shards_and_readers_follow_the_manifest(tmp_path):
    """A rerun skips everything; new parameters add shards and never rewrite old ones; a file
    that now fails supersedes its old row; FeatureDataset returns only current outputs."""
    paths = corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    assert extract(tmp_path / "in", out, "--format", "parquet") == 0
    first = {p: p.stat().st_mtime_ns for p in (out / "shards").glob("*.parquet")}
    assert extract(tmp_path / "in", out, "--format", "parquet") == 0
    assert {r["status"] for r in latest(out).values()} == {"skipped"}
    assert {p: p.stat().st_mtime_ns for p in (out / "shards").glob("*.parquet")} == first
    assert len(FeatureDataset(out)) == 4

    assert extract(tmp_path / "in", out, "--format", "parquet", "--n-mels", "24") == 0
    after = {p: p.stat().st_mtime_ns for p in (out / "shards").glob("*.parquet")}
    assert len(after) == len(first) + 1 and all(after[p] == t for p, t in first.items())
    data = FeatureDataset(out)
    assert {data[i][0].shape[-2] for i in range(len(data))} == {24}

    paths[0].write_bytes(b"now broken")
    assert extract(tmp_path / "in", out, "--format", "parquet", "--n-mels", "24") == 1
    data = FeatureDataset(out)
    assert len(data) == 3 and str(paths[0].resolve()) not in {r["source"] for r in data.records}

    assert extract(tmp_path / "in", out) == 1  # npy now: the rest recomputed as files
    assert {r["format"] for r in FeatureDataset(out).records} == {"npy"}


def test_feature_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"has no manifest\.jsonl"):
        FeatureDataset(tmp_path)
    corpus(tmp_path / "in", 2)
    out = tmp_path / "out"
    assert extract(tmp_path / "in" / "sub0", out) == 0
    assert extract(tmp_path / "in" / "sub1", out, "--n-mels", "20") == 0
    with pytest.raises(ValueError, match="outputs of 2 parameter sets"):
        FeatureDataset(out)
    ids = {r["params_id"] for r in latest(out).values()}
    assert sum(len(FeatureDataset(out, params_id=i)) for i in ids) == 2
    with pytest.raises(ValueError, match="no current output with params_id 'nope'"):
        FeatureDataset(out, params_id="nope")
    record = next(iter(latest(out).values()))
    np.save(record["output"], np.zeros((1, 2, 3), dtype=np.float32))  # changed behind our back
    data = FeatureDataset(out, params_id=record["params_id"])
    with pytest.raises(ValueError, match="the folder was changed after extract wrote it"):
        data[0]
