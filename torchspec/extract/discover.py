"""Stage 1, discover: the audio files below the inputs, each with its one output name.

Names are data: a file is found by walking folders, never by a pattern, and every input is
identified by its resolved path, so absolute, relative and symlinked spellings are one input.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..outputs import safe_name

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".w64"}


@dataclass(frozen=True)
class Item:
    """One input: its resolved ``source`` and its ``output`` path relative to ``--out``."""

    source: Path
    output: Path


class CollisionError(ValueError):
    """Two inputs (in this run, or this run and an earlier one) would share one output."""


def example_files() -> list[Path]:
    """The small recordings shipped inside the package (the default input)."""
    folder = resources.files("torchspec") / "data" / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if Path(str(p)).suffix in AUDIO_SUFFIXES)


def discover(inputs: Iterable[str | Path]) -> list[Item]:
    """Resolved audio files (folders searched recursively) and their relative output paths.

    A file's output is its path below its folder (the folder given, or the file's own folder
    for a file given directly) with ``.npy`` appended to the name; with more than one folder
    in play, each folder's name (plus a hash where two names are equal) comes first. Time and
    memory grow linearly with the number of files (``benchmarks/bench_extract_scale.py``).

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


def _walk(folder: Path) -> list[Path]:
    found = []
    for directory, subdirs, names in os.walk(folder):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                found.append(path)
    return found


def _root_labels(roots: list[Path]) -> dict[Path, Path]:
    names = [root.name or "root" for root in roots]
    labels = {}
    for root, name in zip(roots, names, strict=True):
        if names.count(name) > 1:
            name = f"{name}-{hashlib.sha1(str(root).encode()).hexdigest()[:8]}"
        labels[root] = Path(name)
    return labels
