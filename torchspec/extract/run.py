"""``torchspec extract`` from start to end: open the folder, discover, plan, run an engine,
record. Read top-down, this is the whole command; each stage is a module of its own."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import torch

from ..features import FeatureSpec
from ..outputs import MANIFEST, ExtractEnvironmentError, OutputFolder
from .compute import Feature
from .decode import DecodeOptions
from .discover import discover, example_files
from .job import Job
from .plan import latest_records, make_plan, refuse_collisions
from .record import Recorder, Summary
from .store import FORMATS, open_store

DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
}
ENGINES = ("local", "ray")
SHARD_MB = 256.0  # Parquet shard size: large files for training readers, bounded memory here


def run(
    inputs: list[str | Path],
    out: str | Path,
    spec: FeatureSpec | Feature,
    *,
    engine: str = "local",
    output_format: str = "npy",
    shard_mb: float = SHARD_MB,
    device: str = "auto",
    dtype: torch.dtype = torch.float32,
    batch_size: int = 8,
    workers: int = 0,
    max_batch_seconds: float = 600.0,
    mono: bool = False,
    channels: list[int] | None = None,
    wait: bool = False,
    progress: bool | None = None,
    ray_address: str | None = None,
    ray_actors: int | None = None,
) -> Summary:
    """Extract a feature for every input; returns the counts (merged over ranks under torchrun).

    Args:
        inputs: files and folders (searched recursively); empty: the bundled examples.
        out: the output folder.
        spec: a :class:`~torchspec.features.FeatureSpec`, or a loaded saved frontend
            (:func:`torchspec.load_frontend`).
        engine: ``"local"`` (this process; one rank each under ``torchrun``) or ``"ray"``
            (Ray Data: decoding in CPU tasks, features in an actor pool).
        output_format: ``"npy"`` (one file per input) or ``"parquet"`` (shards of about
            ``shard_mb`` MiB under ``out/shards``).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (Ray: ``auto`` uses the cluster's
            GPUs when it has any).
        dtype: the stored dtype (float64 computes in float64, the others in float32).
        batch_size, max_batch_seconds: at most this many files and seconds of padded audio
            (count x longest) per batch; longer files are computed in exact pieces.
        workers: decoding processes of the local engine.
        mono, channels: average the channels, or keep only these ones.
        wait: wait for another run holding ``out`` instead of failing.
        progress: a progress bar (None: when stderr is a terminal).
        ray_address: None starts a local Ray instance; ``"auto"`` or ``"ray://host:port"``
            joins a cluster.
        ray_actors: feature actors (default: one per GPU, else half the CPUs).

    Raises:
        ExtractEnvironmentError: the output folder or the device cannot be used.
        FileNotFoundError, CollisionError, ValueError: bad inputs or parameters.
        ImportError: the engine or format needs an extra that is not installed.
    """
    if engine not in ENGINES:
        raise ValueError(f"--engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if output_format not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}; got {output_format!r}")
    started = time.perf_counter()
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if engine == "ray" and world > 1:
        raise ValueError("--engine ray schedules its own workers: do not start it with torchrun")
    feature = spec.pipeline() if isinstance(spec, FeatureSpec) else spec  # errors before any I/O
    target_device = _device(device, world) if engine == "local" else torch.device("cpu")
    if engine == "ray":  # a missing extra, a bad address or pool before the folder is touched
        from .ray_engine import connect, place

        connect(ray_address)
        placement = place(device, ray_actors)
    distributed = world > 1
    if distributed and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if target_device.type == "cuda" else "gloo")
    folder = _open_folder(out, wait=wait, lead=rank == 0, distributed=distributed)
    try:
        items = discover(inputs or example_files())
        if not items:
            raise FileNotFoundError(f"no audio files found in {', '.join(map(str, inputs))}")
        latest = latest_records(folder.records())
        refuse_collisions(items, latest)
        params = feature.params()
        params_id = _params_id({"spec": params, "dtype": str(dtype)})
        plan = make_plan(
            items[rank::world],
            latest,
            params_id=params_id,
            output_format=output_format,
            max_seconds=max_batch_seconds,
            batch_size=batch_size,
        )
        for item in plan.pending:
            folder.remove_temporaries(folder.root / item.output)
        common = {
            "run": uuid.uuid4().hex[:12],
            "feature": feature.label,
            "params": params,
            "dtype": str(dtype).replace("torch.", ""),
            "params_id": params_id,
            "torchspec": _version(),
        }
        store = open_store(
            output_format, folder, _sidecar(feature, common), shard_mb=shard_mb, rank=rank
        )
        manifest = folder.open_manifest(MANIFEST if world == 1 else f"manifest.rank{rank}.jsonl")
        recorder = Recorder(manifest, store, common, dtype=dtype, sample_rate=feature.sample_rate)
        for item, old in plan.skipped:
            recorder.skipped(item, old)
        compute_dtype = torch.float64 if dtype == torch.float64 else torch.float32
        decoding = DecodeOptions(
            feature.sample_rate, compute_dtype, mono, channels, feature.min_samples()
        )
        job = Job(
            feature,
            plan,
            decoding,
            target_device,
            compute_dtype,
            max(int(max_batch_seconds * feature.sample_rate), 4 * feature.span),
        )
        if engine == "local":
            from .local import run_local

            run_local(job, recorder, workers=workers, progress=progress)
        else:
            from .ray_engine import run_ray

            run_ray(job, recorder, placement, progress=progress)
        summary = recorder.close()
        summary.elapsed = time.perf_counter() - started
        if distributed:
            _merge_ranks(folder, summary, rank)
        return summary
    finally:
        folder.release()
        if distributed:
            torch.distributed.destroy_process_group()


def _device(device: str, world: int) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ExtractEnvironmentError(
                f"--device {device}: CUDA is not available here; use --device cpu"
            )
        if device == "cuda" and world > 1:
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        index = torch.device(device).index or 0
        if index >= torch.cuda.device_count():
            raise ExtractEnvironmentError(
                f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
        torch.cuda.set_device(index)
    return torch.device(device)


def _open_folder(out: str | Path, *, wait: bool, lead: bool, distributed: bool) -> OutputFolder:
    """Rank 0 takes the lock; under torchrun every rank learns whether it got it."""
    problem: ExtractEnvironmentError | None = None
    folder = None
    if lead:
        try:
            folder = OutputFolder(out, wait=wait)
            _merge_parts(folder)  # a torchrun run killed before its merge; others not started
        except ExtractEnvironmentError as exc:
            problem = exc
    if distributed:
        flag = torch.tensor([0 if problem is None else 1])
        torch.distributed.all_reduce(flag)
        if int(flag) and problem is None:
            problem = ExtractEnvironmentError("the output folder could not be used (see rank 0)")
        if problem is None and folder is None:
            folder = OutputFolder(out, lock=False)
    if problem is not None:
        raise problem
    assert folder is not None
    return folder


def _merge_ranks(folder: OutputFolder, summary: Summary, rank: int) -> None:
    counts = torch.tensor(
        [summary.done, summary.skipped, summary.failed, summary.audio_seconds],
        dtype=torch.float64,
    )
    torch.distributed.all_reduce(counts)
    summary.done, summary.skipped, summary.failed = (int(c) for c in counts[:3])
    summary.audio_seconds = float(counts[3])
    torch.distributed.barrier()
    if rank == 0:
        _merge_parts(folder)
    torch.distributed.barrier()


def _merge_parts(folder: OutputFolder) -> None:
    """Append every rank's records to ``manifest.jsonl`` and delete the parts."""
    parts = sorted(
        entry.path
        for entry in os.scandir(folder.root)
        if entry.name.startswith("manifest.rank") and entry.name.endswith(".jsonl")
    )
    if not parts:
        return
    manifest = folder.open_manifest()
    for part in parts:
        with open(part, encoding="utf-8", errors="surrogateescape") as lines:
            for line in lines:
                try:
                    manifest.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        Path(part).unlink()
    manifest.close()


def _sidecar(feature: Feature, common: dict[str, Any]) -> dict[str, Any]:
    offset, step = feature.frame_times()
    return {
        "params_id": common["params_id"],
        "params": common["params"],
        "dtype": common["dtype"],
        "torchspec": common["torchspec"],
        "array": "(channels, rows, frames)",
        "frame_time_s": "offset + frame * step",
        "frame_time_offset_s": offset,
        "frame_step_s": step,
        **feature.rows(),
    }


def _params_id(params: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _version() -> str:
    from .. import __version__

    return __version__
