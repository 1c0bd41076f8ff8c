"""Batched feature extraction over files and folders: ``torchspec extract``.

Guarantees (each tested by running the command in subprocesses, tests/test_extract_faults.py):

- Identity: every input (its resolved path: absolute, relative and symlinked spellings are one
  input) has one output path below ``--out``. With several input folders each keeps its folder
  name as the first part of its outputs. An output that the manifest says was made from another
  source is never overwritten or taken as up to date: the run stops up front (exit 2) naming
  both files. Names are data, never patterns; names too long for the file system are shortened
  with a stable hash and the full source path is in the manifest.
- Safety: one run per ``--out`` at a time (a lock; ``--wait`` to queue); arrays are written to a
  temporary file in the same folder, fsynced and renamed, and never outside ``--out``'s real
  path; a run killed at any moment leaves only complete arrays and the next run does the rest.
- Bounded memory: clips are sorted by length and batched by total samples
  (``max_batch_seconds``); a longer clip is computed in overlapping pieces whose frames are
  stitched exactly (each kept frame reads the same samples as in the whole clip).
- Honest results: non-finite audio or features, and values that overflow ``--dtype``, fail the
  file with the reason and leave no array; the manifest records the parameters, dtype and
  torchspec version of every output, a rerun recomputes outputs made with other parameters and
  removes the output of an input that now fails.

The manifest ``manifest.jsonl`` is append-only: one record per input per run (see the README).
Under ``torchrun`` each rank takes a disjoint shard and rank 0 appends every rank's records.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from .audio import AudioLoadError, load, probe
from .features import FeatureSpec, Pipeline
from .outputs import (
    MANIFEST,
    SIDECAR,
    ExtractEnvironmentError,
    Manifest,
    OutputFolder,
    now,
    safe_name,
)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".w64"}
DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
}


def example_files() -> list[Path]:
    """The small recordings shipped inside the package (the default input)."""
    folder = resources.files("torchspec") / "data" / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if Path(str(p)).suffix in AUDIO_SUFFIXES)


@dataclass(frozen=True)
class Item:
    source: Path  # resolved
    output: Path  # relative to the output folder


class CollisionError(ValueError):
    """Two inputs (in this run, or this run and an earlier one) would share one output."""


def _walk(folder: Path) -> list[Path]:
    found = []
    for directory, subdirs, names in os.walk(folder):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                found.append(path)
    return found


def discover(inputs: Iterable[str | Path]) -> list[Item]:
    """Resolved audio files (folders searched recursively) and their relative output paths.

    A file's output is its path below its folder (the folder given, or the file's own folder
    for a file given directly) with ``.npy`` appended to the name; with more than one folder
    in play, each folder's name (plus a hash where two names are equal) comes first.

    Raises:
        FileNotFoundError: an input does not exist.
        CollisionError: two different inputs would map to one output.
    """
    found: dict[Path, Path] = {}  # resolved source -> resolved root
    for entry in map(Path, inputs):
        if not entry.exists():
            raise FileNotFoundError(f"input {entry} does not exist")
        if entry.is_dir():
            root = entry.resolve()
            for path in _walk(entry):
                found.setdefault(path.resolve(), root)
        else:
            source = entry.resolve()
            found.setdefault(source, source.parent)
    roots = sorted(set(found.values()))
    labels = _root_labels(roots) if len(roots) > 1 else {roots[0]: Path()} if roots else {}
    items: dict[Path, Item] = {}
    for source, root in sorted(found.items()):
        relative = source.relative_to(root) if source.is_relative_to(root) else Path(source.name)
        output = labels[root] / relative.parent / safe_name(relative.name)
        other = items.get(output)
        if other is not None:
            raise CollisionError(f"{source} and {other.source} would both be written to {output}")
        items[output] = Item(source, output)
    return list(items.values())


def _root_labels(roots: list[Path]) -> dict[Path, Path]:
    names = [root.name or "root" for root in roots]
    labels = {}
    for root, name in zip(roots, names, strict=True):
        if names.count(name) > 1:
            name = f"{name}-{hashlib.sha1(str(root).encode()).hexdigest()[:8]}"
        labels[root] = Path(name)
    return labels


class _Decoded(torch.utils.data.Dataset[dict[str, Any]]):
    """Decodes (and resamples) one file per index in a worker; errors become records."""

    def __init__(
        self,
        items: list[Item],
        sample_rate: int,
        dtype: torch.dtype,
        mono: bool,
        channels: list[int] | None,
    ) -> None:
        self.items, self.sample_rate, self.dtype = items, sample_rate, dtype
        self.mono, self.channels = mono, channels

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        try:
            waveform, _ = load(
                item.source, sample_rate=self.sample_rate, mono=self.mono, dtype=self.dtype
            )
        except (AudioLoadError, OSError) as exc:
            return {"index": index, "error": str(exc)}
        if self.channels is not None:
            if max(self.channels) >= waveform.shape[0]:
                return {
                    "index": index,
                    "error": f"{item.source} has {waveform.shape[0]} channel(s); --channels "
                    f"asks for channel {max(self.channels)}",
                }
            waveform = waveform[self.channels]
        return {"index": index, "waveform": waveform}


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)


def plan_batches(durations: list[float], *, max_seconds: float, batch_size: int) -> list[list[int]]:
    """Indices grouped into batches: sorted by duration, at most ``batch_size`` per batch and
    at most ``max_seconds`` of padded audio (count x longest); a longer clip is a batch alone."""
    order = sorted(range(len(durations)), key=lambda i: durations[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = durations[index]  # sorted: the newcomer is the longest
        if current and (len(current) >= batch_size or (len(current) + 1) * longest > max_seconds):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def compute(
    pipeline: Pipeline,
    clips: list[torch.Tensor],
    *,
    max_samples: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[torch.Tensor]:
    """Features of ``(channels, time)`` clips, batched by total samples, long clips in pieces.

    Every clip is cut into :meth:`Pipeline.pieces`; a piece that ends at its clip's end is
    extended as the frontend would pad that end, then pieces are zero-padded into batches of at
    most ``max_samples`` (count x longest). The frames kept from each piece are stitched and
    ``pipeline.finish`` runs on each whole clip. Results are on the CPU in ``dtype``.
    """
    spec = pipeline.spec
    extend = 0 if spec.resolved_pad_mode() == "constant" or not spec.center else pipeline.span // 2
    pieces = []  # (clip index, segment, skip, count)
    for index, clip in enumerate(clips):
        cuts = pipeline.pieces(clip.shape[-1], max(1, max_samples // clip.shape[0]))
        for start, end, skip, count in cuts:
            segment = clip[..., start:end]
            if end == clip.shape[-1] and extend:
                segment = F.pad(segment.unsqueeze(0), (0, extend), mode=spec.resolved_pad_mode())[0]
            pieces.append((index, segment, skip, count))
    parts: list[list[tuple[int, torch.Tensor]]] = [[] for _ in clips]
    order = sorted(range(len(pieces)), key=lambda i: pieces[i][1].shape[-1])
    batch: list[int] = []

    def flush() -> None:
        longest = max(pieces[i][1].shape[-1] for i in batch)
        stacked = torch.cat(
            [F.pad(pieces[i][1], (0, longest - pieces[i][1].shape[-1])) for i in batch]
        )
        if device.type == "cuda":  # page-locked: the copy runs while the host goes on
            stacked = stacked.pin_memory()
        with torch.no_grad():
            batch_in = stacked.to(device=device, dtype=dtype, non_blocking=True)
            out = pipeline.frontend(batch_in).cpu()
        row = 0
        for i in batch:
            index, segment, skip, count = pieces[i]
            rows = segment.shape[0]
            parts[index].append((i, out[row : row + rows, ..., skip : skip + count].clone()))
            row += rows

    for i in order:
        length = pieces[i][1].shape[-1]
        if batch and (len(batch) + 1) * length * pieces[i][1].shape[0] > max_samples:
            flush()
            batch = []
        batch.append(i)
    if batch:
        flush()
    results = []
    for chunks in parts:
        frames = torch.cat([c for _, c in sorted(chunks, key=lambda pair: pair[0])], dim=-1)
        with torch.no_grad():
            results.append(pipeline.finish(frames))
    return results


def check_values(array: torch.Tensor, dtype: torch.dtype) -> str | None:
    """Why ``array`` cannot be stored in ``dtype`` (non-finite, or overflowing it), or None."""
    values = torch.view_as_real(array) if array.is_complex() else array
    if not bool(torch.isfinite(values).all()):
        return "the feature has NaN or infinite values"
    limit = torch.finfo(dtype).max
    peak = float(values.abs().max()) if values.numel() else 0.0
    if peak > limit:
        return (
            f"values up to {peak:.3g} overflow {str(dtype).replace('torch.', '')} "
            f"(largest {limit:.3g}); use --dtype float32 or --db"
        )
    return None


def _params_id(params: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _version() -> str:
    from . import __version__

    return __version__


def run(
    inputs: list[str | Path],
    out: str | Path,
    spec: FeatureSpec,
    *,
    device: str = "auto",
    dtype: torch.dtype = torch.float32,
    batch_size: int = 8,
    workers: int = 0,
    max_batch_seconds: float = 600.0,
    mono: bool = False,
    channels: list[int] | None = None,
    wait: bool = False,
    progress: bool | None = None,
) -> Summary:
    """Extract ``spec`` for every input; returns the counts (this rank's, merged under torchrun).

    See the module docstring for the guarantees. ``progress`` None shows a bar on a terminal.

    Raises:
        ExtractEnvironmentError: the output folder or the device cannot be used.
        FileNotFoundError, CollisionError, ValueError: bad inputs or feature parameters.
    """
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    target_device = _device(device, world)
    distributed = world > 1
    if distributed and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if target_device.type == "cuda" else "gloo")
    pipeline = spec.pipeline()  # parameter errors before touching the output folder
    folder = _open_folder(out, wait=wait, lead=rank == 0, distributed=distributed)
    try:
        return _run(
            inputs,
            folder,
            spec,
            pipeline,
            target_device,
            dtype,
            batch_size,
            workers,
            max_batch_seconds,
            mono,
            channels,
            rank,
            world,
            progress,
        )
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


def _run(
    inputs: list[str | Path],
    folder: OutputFolder,
    spec: FeatureSpec,
    pipeline: Pipeline,
    device: torch.device,
    dtype: torch.dtype,
    batch_size: int,
    workers: int,
    max_batch_seconds: float,
    mono: bool,
    channels: list[int] | None,
    rank: int,
    world: int,
    progress: bool | None,
) -> Summary:
    started = time.perf_counter()
    items = discover(inputs or example_files())
    if not items:
        raise FileNotFoundError(f"no audio files found in {', '.join(map(str, inputs))}")
    compute_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    params = spec.as_dict()
    params_id = _params_id({"spec": params, "dtype": str(dtype)})
    latest: dict[str, dict[str, Any]] = {}
    for record in folder.records():
        latest[record["source"]] = record
    _refuse_collisions(items, latest)
    items = items[rank::world]
    run_id = uuid.uuid4().hex[:12]
    manifest = folder.open_manifest(MANIFEST if world == 1 else f"manifest.rank{rank}.jsonl")
    common = {
        "run": run_id,
        "feature": spec.feature,
        "params": params,
        "dtype": str(dtype).replace("torch.", ""),
        "params_id": params_id,
        "torchspec": _version(),
    }
    summary = Summary()
    pending = []
    for item in items:
        target = folder.root / item.output
        folder.remove_temporaries(target)
        old = latest.get(str(item.source))
        if _up_to_date(old, item, folder, params_id):
            summary.skipped += 1
            assert old is not None
            keep = (
                "file",
                "output",
                "shape",
                "stored_as",
                "duration",
                "sample_rate",
                "source_size",
                "source_mtime_ns",
                "output_size",
                "output_mtime_ns",
            )
            manifest.append(
                {
                    **common,
                    "time": now(),
                    "source": str(item.source),
                    "status": "skipped",
                    "ok_run": old.get("ok_run", old["run"]),
                    **{key: old.get(key) for key in keep},
                }
            )
        else:
            pending.append(item)

    pipeline.frontend.to(device=device, dtype=compute_dtype)
    durations = [probe(item.source) for item in pending]
    plan = plan_batches(durations, max_seconds=max_batch_seconds, batch_size=batch_size)
    loader = torch.utils.data.DataLoader(
        _Decoded(pending, spec.sample_rate, compute_dtype, mono, channels),
        batch_sampler=plan,
        num_workers=workers,
        collate_fn=list,
        prefetch_factor=2 if workers else None,  # decode the next batches while this one runs
    )
    max_samples = max(int(max_batch_seconds * spec.sample_rate), 4 * pipeline.span)
    sidecars: set[Path] = set()
    bar = _progress(len(pending), progress)
    for batch in loader:
        good = []
        for decoded in batch:
            item = pending[decoded["index"]]
            reason = decoded.get("error") or _clip_problem(decoded["waveform"], pipeline, item)
            if reason:
                _fail(manifest, folder, summary, item, reason, common)
            else:
                good.append((item, decoded["waveform"]))
        arrays = _compute_each(pipeline, good, max_samples, device, compute_dtype)
        for (item, waveform), array in zip(good, arrays, strict=True):
            if isinstance(array, str):
                _fail(manifest, folder, summary, item, array, common)
                continue
            problem = check_values(array, dtype)
            if problem:
                _fail(manifest, folder, summary, item, f"{item.source}: {problem}", common)
                continue
            if dtype == torch.bfloat16:  # numpy has no bfloat16: rounded values, float32 file
                stored = array.to(torch.bfloat16).to(torch.float32).numpy()
            else:
                stored = array.to(dtype).numpy()
            try:
                target = folder.target(item.output)
            except ValueError as exc:
                _fail(manifest, folder, summary, item, str(exc), common)
                continue
            size, mtime = folder.save(stored, target)
            if target.parent not in sidecars:
                _write_sidecar(folder, target.parent, pipeline, common)
                sidecars.add(target.parent)
            seconds = waveform.shape[-1] / spec.sample_rate
            summary.done += 1
            summary.audio_seconds += seconds
            stat = item.source.stat()
            manifest.append(
                {
                    **common,
                    "time": now(),
                    "source": str(item.source),
                    "status": "ok",
                    "ok_run": run_id,
                    "output": str(target),
                    "shape": list(stored.shape),
                    "file": str(item.output),
                    "stored_as": str(stored.dtype),
                    "duration": seconds,
                    "sample_rate": spec.sample_rate,
                    "source_size": stat.st_size,
                    "source_mtime_ns": stat.st_mtime_ns,
                    "output_size": size,
                    "output_mtime_ns": mtime,
                }
            )
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    manifest.close()
    summary.elapsed = time.perf_counter() - started
    if world > 1:
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
    return summary


def _refuse_collisions(items: list[Item], latest: dict[str, dict[str, Any]]) -> None:
    """Stop before anything is written if an output belongs to another source."""
    owner: dict[str, str] = {}
    for source, record in latest.items():
        if record.get("status") in ("ok", "skipped") and record.get("file"):
            owner[record["file"]] = source
    clashes = []
    for item in items:
        other = owner.get(str(item.output))
        if other is not None and other != str(item.source):
            clashes.append(f"{item.source} would overwrite the output of {other}")
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise CollisionError(
            f"{clashes[0]}{more}: use another --out, or give both folders in one run so each "
            "keeps its folder name"
        )


def _up_to_date(
    old: dict[str, Any] | None, item: Item, folder: OutputFolder, params_id: str
) -> bool:
    if old is None or old.get("status") not in ("ok", "skipped"):
        return False
    if old.get("params_id") != params_id or old.get("file") != str(item.output):
        return False
    try:
        output, source = Path(old["output"]).stat(), item.source.stat()
    except (OSError, KeyError, TypeError):
        return False
    return (output.st_size, output.st_mtime_ns) == (
        old.get("output_size"),
        old.get("output_mtime_ns"),
    ) and (source.st_size, source.st_mtime_ns) == (
        old.get("source_size"),
        old.get("source_mtime_ns"),
    )


def _clip_problem(waveform: torch.Tensor, pipeline: Pipeline, item: Item) -> str | None:
    if not bool(torch.isfinite(waveform).all()):
        return f"{item.source}: the audio has NaN or infinite samples"
    need = pipeline.min_samples()
    if waveform.shape[-1] < need:
        return (
            f"{item.source}: {waveform.shape[-1]} samples at {pipeline.spec.sample_rate} Hz is "
            f"too short for this feature (it needs at least {need})"
        )
    return None


def _compute_each(
    pipeline: Pipeline,
    good: list[tuple[Item, torch.Tensor]],
    max_samples: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[torch.Tensor | str]:
    if not good:
        return []
    clips = [waveform for _, waveform in good]
    try:
        return list(compute(pipeline, clips, max_samples=max_samples, device=device, dtype=dtype))
    except ValueError:  # one clip the layer refuses: find it, keep the others
        out: list[torch.Tensor | str] = []
        for item, clip in good:
            try:
                out.append(
                    compute(pipeline, [clip], max_samples=max_samples, device=device, dtype=dtype)[
                        0
                    ]
                )
            except ValueError as exc:
                out.append(f"{item.source}: {exc}")
        return out


def _fail(
    manifest: Manifest,
    folder: OutputFolder,
    summary: Summary,
    item: Item,
    reason: str,
    common: dict[str, Any],
) -> None:
    """Record a failure; an output left from an earlier run of this input is removed."""
    summary.failed += 1
    summary.failures.append(reason)
    stale = folder.root / item.output
    removed = None
    if stale.is_file() and not stale.is_symlink():
        stale.unlink()
        removed = str(stale)
    manifest.append(
        {
            **common,
            "time": now(),
            "source": str(item.source),
            "file": str(item.output),
            "status": "failed",
            "reason": reason,
            "output": None,
            "removed_output": removed,
        }
    )


def _write_sidecar(
    folder: OutputFolder, directory: Path, pipeline: Pipeline, common: dict[str, Any]
) -> None:
    """``torchspec-axes.json`` in an output folder: per parameter set, the frame times and what
    each row is, so axes can be labelled without recomputing."""
    path = directory / SIDECAR
    try:
        existing = json.loads(path.read_text())
        if not isinstance(existing, dict):
            existing = {}
    except (OSError, ValueError):
        existing = {}
    offset, step = pipeline.frame_times()
    existing[common["params_id"]] = {
        "params": common["params"],
        "dtype": common["dtype"],
        "torchspec": common["torchspec"],
        "array": "(channels, rows, frames)",
        "frame_time_s": "offset + frame * step",
        "frame_time_offset_s": offset,
        "frame_step_s": step,
        **pipeline.rows(),
    }
    folder.write_json(path, existing)


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


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with the audio extra
        return None
    return tqdm(total=total, unit="file", file=sys.stderr)
