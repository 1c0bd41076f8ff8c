"""Stage 2, plan: which inputs are up to date, which are computed, and in which batches.

The plan is made from the manifest alone (plus file sizes and times), before anything is
written, so both engines start from the same list and the same batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audio import probe
from .discover import CollisionError, Item


@dataclass
class Plan:
    """What a run does.

    Attributes:
        skipped: up-to-date inputs with the manifest record of the output that stays valid.
        pending: the inputs to compute.
        batches: indices into ``pending``, one list per batch (see :func:`plan_batches`).
    """

    skipped: list[tuple[Item, dict[str, Any]]]
    pending: list[Item]
    batches: list[list[int]]


def latest_records(records: Any) -> dict[str, dict[str, Any]]:
    """The newest manifest record of every source (records oldest first)."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        latest[record["source"]] = record
    return latest


def refuse_collisions(items: list[Item], latest: dict[str, dict[str, Any]]) -> None:
    """Stop before anything is written if an output belongs to another source.

    Raises:
        CollisionError: naming the first clash and how many more there are.
    """
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


def up_to_date(old: dict[str, Any] | None, item: Item, params_id: str, output_format: str) -> bool:
    """Whether ``old`` (the source's newest record) still holds a valid output for these
    parameters and this format: the output file (array or shard) and the source have the size
    and modification time recorded when it was made."""
    if old is None or old.get("status") not in ("ok", "skipped"):
        return False
    if old.get("params_id") != params_id or old.get("file") != str(item.output):
        return False
    if old.get("format", "npy") != output_format:
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


def make_plan(
    items: list[Item],
    latest: dict[str, dict[str, Any]],
    *,
    params_id: str,
    output_format: str,
    max_seconds: float,
    batch_size: int,
) -> Plan:
    """Split ``items`` into up-to-date and pending ones and batch the pending by duration
    (read from the files' headers)."""
    skipped, pending = [], []
    for item in items:
        old = latest.get(str(item.source))
        if old is not None and up_to_date(old, item, params_id, output_format):
            skipped.append((item, old))
        else:
            pending.append(item)
    durations = [probe(item.source) for item in pending]
    batches = plan_batches(durations, max_seconds=max_seconds, batch_size=batch_size)
    return Plan(skipped, pending, batches)


__all__ = [
    "CollisionError",
    "Plan",
    "latest_records",
    "make_plan",
    "plan_batches",
    "refuse_collisions",
    "up_to_date",
]
