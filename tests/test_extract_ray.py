"""``torchspec extract --engine ray`` on a local Ray instance (2 CPUs).

The Ray engine must keep every guarantee of the local engine: the same arrays bit for bit
(float32 on the CPU: both engines compute the same planned batches with the same code), the
same manifest statuses, bad files recorded while the rest completes, reruns that skip, one run
per ``--out``; and survive faults: an actor process killed with SIGKILL mid-run (Ray restarts
it and retries its batch) and the driver killed mid-run (only complete outputs remain; a rerun
finishes). Ray starts in about 7 s here, so the in-process tests share one instance and the
fault tests (real commands in subprocesses) start one each.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import soundfile
import torch

from torchspec.extract import run
from torchspec.features import FeatureSpec
from torchspec.outputs import ExtractEnvironmentError, OutputFolder

ray = pytest.importorskip("ray")  # the [ray] extra; CI installs it (pyproject's test extra)

SR = 16000
SPEC = FeatureSpec(feature="cqt", sample_rate=SR, hop_length=128, n_bins=48)
MEL = FeatureSpec(sample_rate=SR, n_fft=512, hop_length=128, n_mels=40)
CQT = ["--feature", "cqt", "--sample-rate", str(SR), "--hop", "128", "--n-bins", "48"]
CQT += ["--batch-size", "1"]  # many small batches: a long enough run to hit mid-way


def corpus(folder: Path, count: int, seconds: float = 0.6) -> list[Path]:
    paths = []
    for i in range(count):
        t = np.arange(int((seconds + 0.01 * i) * SR)) / SR
        channels = 2 if i % 4 == 0 else 1
        data = np.stack(
            [0.3 * np.sin(2 * np.pi * 220 * (1 + i / 7 + c) * t) for c in range(channels)]
        )
        path = folder / f"c{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, data.T.astype(np.float32), SR, subtype="FLOAT")
        paths.append(path)
    return paths


def latest(out: Path) -> dict[str, dict]:
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    return {r["source"]: r for r in records}


def same_outputs(a: Path, b: Path) -> None:
    """Both folders hold the same statuses and, bit for bit, the same arrays."""
    ra, rb = latest(a), latest(b)
    assert ra.keys() == rb.keys()
    for source, record in ra.items():
        other = rb[source]
        assert (record["status"] in ("ok", "skipped")) == (other["status"] in ("ok", "skipped"))
        if record["output"] is None:
            assert other["output"] is None
            continue
        np.testing.assert_array_equal(np.load(record["output"]), np.load(other["output"]))


def extract_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "torchspec", "extract", *map(str, args)]


@pytest.fixture(scope="module")
def local_ray():
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def one_thread():
    """The local engine at the thread count of a CPU actor (one per reserved CPU): oneDNN's
    convolutions, the CQT's route, round differently with other counts (by 1 ulp)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_ray_equals_the_local_engine(tmp_path, local_ray, one_thread):
    corpus(tmp_path / "in", 10)
    (tmp_path / "in" / "broken.wav").write_bytes(b"RIFF not really")
    soundfile.write(tmp_path / "in" / "short.wav", np.zeros(20, np.float32), SR)
    common = {"progress": False, "batch_size": 3, "max_batch_seconds": 2.0}
    local = run([tmp_path / "in"], tmp_path / "local", SPEC, **common)
    remote = run([tmp_path / "in"], tmp_path / "ray", SPEC, engine="ray", **common)
    assert (local.done, local.failed) == (remote.done, remote.failed) == (11, 1)
    assert remote.audio_seconds == pytest.approx(local.audio_seconds)
    same_outputs(tmp_path / "local", tmp_path / "ray")
    failed = [r for r in latest(tmp_path / "ray").values() if r["status"] == "failed"]
    assert len(failed) == 1 and "broken.wav" in failed[0]["reason"]

    again = run([tmp_path / "in"], tmp_path / "ray", SPEC, engine="ray", **common)
    assert (again.done, again.skipped, again.failed) == (0, 11, 1)

    folder = OutputFolder(tmp_path / "ray")  # another run holds the folder
    try:
        with pytest.raises(ExtractEnvironmentError, match="another torchspec extract"):
            run([tmp_path / "in"], tmp_path / "ray", SPEC, engine="ray", **common)
    finally:
        folder.release()


def test_ray_parquet_reads_back_with_ray_data(tmp_path, local_ray):
    """Mel features (matrix products and FFTs, equal at any thread count) as Parquet shards
    from Ray, read back by ``ray.data.read_parquet``, equal the local engine's npy files."""
    corpus(tmp_path / "in", 6)
    run([tmp_path / "in"], tmp_path / "npy", MEL, progress=False)
    run(
        [tmp_path / "in"], tmp_path / "pq", MEL, engine="ray", output_format="parquet",
        shard_mb=0.01, progress=False,
    )  # fmt: skip
    npy = latest(tmp_path / "npy")
    rows = ray.data.read_parquet(str(tmp_path / "pq" / "shards")).take_all()
    assert len(rows) == 6 and len(list((tmp_path / "pq" / "shards").glob("*.parquet"))) > 1
    for row in rows:
        array = np.asarray(row["feature"], dtype=row["dtype"]).reshape(row["shape"])
        np.testing.assert_array_equal(array, np.load(npy[row["source"]]["output"]))


def test_ray_runs_a_saved_frontend(tmp_path, local_ray):
    """``--frontend``: the module file travels to the actors as bytes; outputs equal the local
    engine's."""
    import torchspec

    corpus(tmp_path / "in", 3)
    module = torchspec.MelSpectrogram(SR, n_fft=512, hop_length=160, n_mels=20)
    saved = torchspec.save_frontend(module, tmp_path / "fe.pt", sample_rate=SR)
    feature = torchspec.load_frontend(saved)
    run([tmp_path / "in"], tmp_path / "local", feature, progress=False)
    run([tmp_path / "in"], tmp_path / "ray", feature, engine="ray", progress=False)
    same_outputs(tmp_path / "local", tmp_path / "ray")
    assert {r["feature"] for r in latest(tmp_path / "ray").values()} == {"frontend"}


def test_ray_actor_count_and_errors(tmp_path, local_ray):
    from torchspec.extract.ray_engine import default_actors

    assert default_actors({"CPU": 2.0}) == 1 and default_actors({"CPU": 16.0}) == 8
    assert default_actors({"CPU": 16.0, "GPU": 4.0}) == 4
    corpus(tmp_path / "in", 1)
    with pytest.raises(ValueError, match="--ray-actors must be >= 1"):
        run([tmp_path / "in"], tmp_path / "o", SPEC, engine="ray", ray_actors=0, progress=False)
    with pytest.raises(ExtractEnvironmentError, match="the Ray cluster has no GPU"):
        run([tmp_path / "in"], tmp_path / "o", SPEC, engine="ray", device="cuda", progress=False)
    with pytest.raises(ValueError, match="the Ray cluster has 2 CPUs; use at most 1"):
        run([tmp_path / "in"], tmp_path / "o", SPEC, engine="ray", ray_actors=2, progress=False)
    assert not (tmp_path / "o" / "manifest.jsonl").exists()


def test_missing_extra_is_one_line(tmp_path, monkeypatch, capsys):
    from torchspec.cli import main

    corpus(tmp_path / "in", 1)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert (
        main(["extract", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--engine", "ray"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err == "torchspec extract: --engine ray needs Ray Data: pip install 'torchspec[ray]'"
    assert not (tmp_path / "o").exists()  # refused before the folder was touched
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert (
        main(["extract", str(tmp_path / "in"), "--out", str(tmp_path / "p"), "--format", "parquet"])
        == 2
    )
    assert (
        "--format parquet needs pyarrow: pip install 'torchspec[parquet]'"
        in capsys.readouterr().err
    )


def _processes(session: int, marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if os.getsid(process.pid) == session and marker in " ".join(
                process.info["cmdline"] or []
            ):
                found.append(process)
        except (ProcessLookupError, psutil.Error, PermissionError):
            continue
    return found


def _kill_session(session: int) -> None:
    """End what a run left (a killed driver's local Ray processes), by its session."""
    for process in _processes(session, ""):
        with contextlib.suppress(psutil.Error):
            process.kill()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """60 clips and their features from a clean run of the local engine."""
    root = tmp_path_factory.mktemp("ray_faults")
    corpus(root / "in", 60, seconds=0.8)
    one_thread = {**os.environ, "OMP_NUM_THREADS": "1"}  # a CPU actor's count (see one_thread)
    command = extract_command(root / "in", "--out", root / "clean", *CQT)
    subprocess.run(command, check=True, timeout=300, env=one_thread)
    return root


def test_an_actor_killed_mid_run_does_not_fail_the_job(tmp_path, reference):
    out = tmp_path / "out"
    command = extract_command(reference / "in", "--out", out, *CQT, "--engine", "ray")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    killed = None
    try:
        deadline = time.time() + 240
        while killed is None and time.time() < deadline and process.poll() is None:
            done = sum(1 for _ in out.glob("*.npy")) if out.is_dir() else 0
            actors = _processes(process.pid, "ray::MapWorker(MapBatches(_FeatureActor))")
            if actors and done >= 3:
                actors[0].send_signal(signal.SIGKILL)
                killed = done
            time.sleep(0.02)
        assert killed is not None and killed < 60, "the run ended before an actor could be killed"
        stdout, stderr = process.communicate(timeout=300)
    finally:
        _kill_session(process.pid)
    assert process.returncode == 0, stdout + stderr
    assert "60 done, 0 skipped, 0 failed" in stdout
    same_outputs(reference / "clean", out)


def test_a_killed_driver_leaves_complete_outputs_and_a_rerun_finishes(tmp_path, reference):
    out = tmp_path / "out"
    command = extract_command(reference / "in", "--out", out, *CQT, "--engine", "ray")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline and process.poll() is None:
            if out.is_dir() and sum(1 for _ in out.glob("*.npy")) >= 5:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        process.wait(timeout=60)
    finally:
        _kill_session(process.pid)
    written = list(out.glob("*.npy"))
    assert process.returncode == -signal.SIGKILL and 5 <= len(written) < 60
    for record in latest(out).values():  # every recorded output is complete and right
        clean = reference / "clean" / Path(record["output"]).name
        np.testing.assert_array_equal(np.load(record["output"]), np.load(clean))
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = {r["status"] for r in latest(out).values()}
    assert statuses <= {"ok", "skipped"} and len(latest(out)) == 60
    same_outputs(reference / "clean", out)
    assert not list(out.rglob("*.tmp"))
