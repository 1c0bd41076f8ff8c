"""Batched feature extraction over files and folders: ``torchspec extract``.

Every input file gets one ``.npy`` array under the output folder (mirroring the input tree)
and one line in ``manifest.jsonl``. Decoding runs in DataLoader worker processes while the
device computes; clips of different lengths are padded into one batch and every result is cut
back to its own frame count, so a file's features do not depend on its batch. Outputs are
written to a temporary file and renamed; a rerun skips files already done with the same
parameters; a failed file is recorded and the run goes on. Under ``torchrun`` each rank takes
a disjoint shard and rank 0 merges the manifests.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .audio import AudioLoadError, load
from .features import FeatureSpec

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".w64"}
MANIFEST = "manifest.jsonl"


def example_files() -> list[Path]:
    """The small recordings shipped inside the package (the default input)."""
    folder = resources.files("torchspec") / "data" / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if Path(str(p)).suffix in AUDIO_SUFFIXES)


@dataclass(frozen=True)
class Item:
    source: Path
    output: Path  # relative to the output folder


def discover(inputs: Iterable[str | Path]) -> list[Item]:
    """Files as given, and audio files found recursively in folders, with their output paths.

    A folder's files keep their path below it; a file given directly keeps its name. The output
    is ``<name>.npy`` (``a.wav`` -> ``a.wav.npy``), always inside the output folder.
    """
    items: dict[Path, Item] = {}
    for entry in map(Path, inputs):
        if entry.is_dir():
            found = [p for p in sorted(entry.rglob("*")) if p.suffix.lower() in AUDIO_SUFFIXES]
            pairs = [(p, p.relative_to(entry)) for p in found if p.is_file()]
        elif entry.exists():
            pairs = [(entry, Path(entry.name))]
        else:
            raise FileNotFoundError(f"input {entry} does not exist")
        for source, relative in pairs:
            output = relative.with_name(relative.name + ".npy")
            if any(part in ("..", "") for part in output.parts) or output.is_absolute():
                raise ValueError(f"{source}: output path {output} would leave the output folder")
            if output in items and items[output].source != source:
                raise ValueError(f"{source} and {items[output].source} both map to {output}")
            items[output] = Item(source, output)
    return list(items.values())


class _Decoded(torch.utils.data.Dataset):
    """Decodes (and resamples) one file per index in a worker; errors become records."""

    def __init__(self, items: list[Item], sample_rate: int) -> None:
        self.items, self.sample_rate = items, sample_rate

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, object]:
        item = self.items[index]
        try:
            waveform, _ = load(item.source, sample_rate=self.sample_rate)
        except (AudioLoadError, OSError) as exc:
            return {"item": item, "error": str(exc)}
        return {"item": item, "waveform": waveform}


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)


def _params_id(params: dict[str, object]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _read_manifest(path: Path) -> Iterator[dict[str, object]]:
    if not path.exists():
        return
    with path.open() as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a killed run
                continue


def _previous_records(out: Path) -> dict[str, dict[str, object]]:
    records: dict[str, dict[str, object]] = {}
    for path in [out / MANIFEST, *sorted(out.glob("manifest.rank*.jsonl"))]:
        for record in _read_manifest(path):
            records[str(record["source"])] = record
    return records


def _save_atomic(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _features(
    layer: torch.nn.Module, spec: FeatureSpec, clips: list[torch.Tensor], device, dtype
) -> list[torch.Tensor]:
    """Features of ``(channels, time)`` clips computed as one padded batch, each cut to its own
    frame count. Each clip is first extended past its end as the layer would pad it alone, so
    the frames kept never see another clip's padding."""
    reach, mode = spec.right_reach()
    rows, extended = [], []
    for clip in clips:
        if reach and mode == "reflect":
            if clip.shape[-1] <= reach:
                raise ValueError(
                    f"{clip.shape[-1]} samples is too short for n_fft={spec.n_fft} (reflect "
                    f"padding needs more than {reach})"
                )
            clip = F.pad(clip.unsqueeze(0), (0, reach), mode="reflect")[0]
        extended.append(clip)
        rows.append(clip.shape[0])
    longest = max(c.shape[-1] for c in extended)
    batch = torch.cat([F.pad(c, (0, longest - c.shape[-1])) for c in extended])
    with torch.no_grad():
        out = layer(batch.to(device=device, dtype=dtype)).float().cpu()
    results, row = [], 0
    for clip, count in zip(clips, rows, strict=True):
        results.append(out[row : row + count, ..., : spec.n_frames(clip.shape[-1])])
        row += count
    return results


def _single(layer, spec: FeatureSpec, clip: torch.Tensor, device, dtype):
    try:
        return _features(layer, spec, [clip], device, dtype)[0]
    except ValueError as exc:
        return exc


def run(
    inputs: list[str | Path],
    out: str | Path,
    spec: FeatureSpec,
    *,
    device: str = "auto",
    dtype: torch.dtype = torch.float32,
    batch_size: int = 8,
    workers: int = 0,
    progress: bool | None = None,
) -> Summary:
    """Extract ``spec`` for every input; returns the counts (this rank's, merged under torchrun).

    See the module docstring for the guarantees. ``progress`` None shows a bar on a terminal.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and world > 1:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    distributed = world > 1
    if distributed and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device == "cuda" else "gloo")

    items = discover(inputs or example_files())[rank::world]
    params = {**spec.as_dict(), "dtype": str(dtype).replace("torch.", "")}
    params_id = _params_id(params)
    previous = _previous_records(out)
    summary = Summary()
    pending = []
    part = out / f"manifest.rank{rank}.jsonl"
    with part.open("a") as manifest:

        def record(entry: dict[str, object]) -> None:
            manifest.write(json.dumps(entry) + "\n")
            manifest.flush()
            os.fsync(manifest.fileno())

        for item in items:
            target = out / item.output  # a run killed while writing leaves its temporary file
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                stale.unlink(missing_ok=True)
            old = previous.get(str(item.source))
            if (
                old is not None
                and old.get("params_id") == params_id
                and old.get("status") in ("ok", "skipped")
                and (out / item.output).exists()
            ):
                summary.skipped += 1
                record({**old, "status": "skipped"})
            else:
                pending.append(item)

        layer = spec.build().to(device=device, dtype=dtype)
        loader = torch.utils.data.DataLoader(
            _Decoded(pending, spec.sample_rate),
            batch_size=batch_size,
            num_workers=workers,
            collate_fn=list,
        )
        bar = _progress(len(pending), progress)
        started = time.perf_counter()
        for batch in loader:
            good = [b for b in batch if "waveform" in b]
            for failed in (b for b in batch if "error" in b):
                _fail(record, summary, failed["item"], str(failed["error"]), params, params_id)
            try:
                arrays = _features(layer, spec, [b["waveform"] for b in good], device, dtype)
            except ValueError:  # a clip too short for the feature: find it, keep the others
                arrays = [_single(layer, spec, b["waveform"], device, dtype) for b in good]
            for b, array in zip(good, arrays, strict=True):
                item = b["item"]
                if isinstance(array, Exception):
                    _fail(record, summary, item, f"{item.source}: {array}", params, params_id)
                    continue
                target = out / item.output
                data = array.numpy().astype(np.float64 if dtype == torch.float64 else np.float32)
                _save_atomic(data, target)
                seconds = b["waveform"].shape[-1] / spec.sample_rate
                summary.done += 1
                summary.audio_seconds += seconds
                record(
                    {
                        "source": str(item.source),
                        "output": str(target),
                        "status": "ok",
                        "sample_rate": spec.sample_rate,
                        "shape": list(data.shape),
                        "duration": seconds,
                        "feature": spec.feature,
                        "params": params,
                        "params_id": params_id,
                    }
                )
            if bar is not None:
                hours = summary.audio_seconds / 3600
                rate = hours / max(time.perf_counter() - started, 1e-9)
                bar.set_postfix_str(f"{hours:.3f} audio h, {rate:.3f} audio h/s")
                bar.update(len(batch))
        if bar is not None:
            bar.close()
    summary.elapsed = time.perf_counter() - started
    if distributed:
        counts = torch.tensor(
            [summary.done, summary.skipped, summary.failed, summary.audio_seconds],
            dtype=torch.float64,
        )
        torch.distributed.all_reduce(counts)
        summary.done, summary.skipped, summary.failed = (int(c) for c in counts[:3])
        summary.audio_seconds = float(counts[3])
        torch.distributed.barrier()
    if rank == 0:
        _merge_manifests(out)
    if distributed:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return summary


def _fail(record, summary: Summary, item: Item, error: str, params, params_id) -> None:
    summary.failed += 1
    summary.failures.append(error)
    record(
        {
            "source": str(item.source),
            "output": None,
            "status": "failed",
            "error": error,
            "params": params,
            "params_id": params_id,
        }
    )


def _merge_manifests(out: Path) -> None:
    """Fold every rank's part into ``manifest.jsonl`` (latest record per source), atomically."""
    records = _previous_records(out)
    temporary = out / f".{MANIFEST}.tmp"
    with temporary.open("w") as merged:
        for record in sorted(records.values(), key=lambda r: str(r["source"])):
            merged.write(json.dumps(record) + "\n")
        merged.flush()
        os.fsync(merged.fileno())
    os.replace(temporary, out / MANIFEST)
    for part in out.glob("manifest.rank*.jsonl"):
        part.unlink()


def _progress(total: int, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with the audio extra
        return None
    return tqdm(total=total, unit="file", file=sys.stderr)
