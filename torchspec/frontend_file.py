"""Saved frontends: any module mapping ``(batch, time)`` audio to ``(batch, rows, frames)``
features, stored as one file (TorchScript or a ``torch.export`` program) together with the
sample rate it expects, so that ``torchspec extract --frontend FILE`` can run it on a dataset.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

META = "torchspec-frontend.json"
KINDS = ("script", "export")


def save_frontend(
    module: nn.Module,
    path: str | Path,
    *,
    sample_rate: int,
    kind: str = "script",
    example_samples: int = 16000,
) -> Path:
    """Save ``module`` with its sample rate for ``torchspec extract --frontend``.

    Args:
        module: ``(batch, time)`` float audio -> ``(batch, rows, frames)`` (a torchspec layer,
            a ``nn.Sequential`` of them, or any module that scripts or exports).
        path: the file to write (written to a temporary file and renamed).
        sample_rate: Hz of the audio the module takes; extract resamples every file to it.
        kind: ``"script"`` (``torch.jit.script``) or ``"export"`` (``torch.export`` with
            dynamic batch and time).
        example_samples: length of the example input used to check (and export) the module.

    Returns:
        The resolved path.

    Raises:
        ValueError: bad arguments, or the module does not map ``(batch, time)`` to
            ``(batch, rows, frames)``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
    example = torch.zeros(2, example_samples)
    module = module.eval()
    with torch.no_grad():
        out = module(example)
    if not isinstance(out, Tensor) or out.dim() != 3 or out.shape[0] != 2:
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(
            f"a frontend maps (batch, time) to (batch, rows, frames); on (2, {example_samples}) "
            f"this module returns {shape}"
        )
    meta = json.dumps({"sample_rate": sample_rate, "kind": kind, "class": type(module).__name__})
    buffer = io.BytesIO()
    if kind == "script":
        torch.jit.save(torch.jit.script(module), buffer, _extra_files={META: meta})
    else:
        dims = (torch.export.Dim.AUTO, torch.export.Dim.AUTO)
        program = torch.export.export(module, (example,), dynamic_shapes=(dims,))
        torch.export.save(program, buffer, extra_files={META: meta})
    target = Path(path).resolve()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(buffer.getvalue())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


class SavedFrontend:
    """A frontend file loaded for extract: each clip ``(channels, time)`` runs alone through
    the module (its channels as the batch), never padded or cut, so the output equals calling
    the module on the clip in Python. Pickles as the file's bytes (for Ray actors).

    Attributes:
        frontend: the loaded module.
        sample_rate: Hz, from the file.
        name: the file it came from.
    """

    batchable = False
    label = "frontend"
    span = 1

    def __init__(self, data: bytes, name: str) -> None:
        self._data, self.name = data, name
        self.frontend, meta = _load(data, name)
        rate = meta.get("sample_rate")
        if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
            raise ValueError(f"{name}: its {META} has no valid sample_rate ({rate!r})")
        self.sample_rate: int = rate
        self.kind = str(meta.get("kind"))

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["data"], state["name"])  # type: ignore[misc]

    def finish(self, frames: Tensor, /) -> Tensor:
        return frames

    def split(self, clip: Tensor, max_samples: int) -> list[tuple[Tensor, int, int]]:
        return [(clip, 0, -1)]

    def min_samples(self) -> int:
        return 1

    def params(self) -> dict[str, object]:
        """The file's name and content hash: a changed file is a new parameter set."""
        return {
            "frontend": self.name,
            "sha256": hashlib.sha256(self._data).hexdigest(),
            "kind": self.kind,
            "sample_rate": self.sample_rate,
        }

    def frame_times(self) -> tuple[float | None, float | None]:
        return None, None  # the module's own framing is not known

    def rows(self) -> dict[str, object]:
        return {"rows": "as the saved frontend defines them", "row_frequencies_hz": None}


def load_frontend(path: str | Path) -> SavedFrontend:
    """Read a file written by :func:`save_frontend`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a saved frontend.
    """
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"--frontend {target} does not exist")
    return SavedFrontend(target.read_bytes(), str(target.resolve()))


def _load(data: bytes, name: str) -> tuple[nn.Module, dict[str, Any]]:
    extra = {META: ""}
    try:
        module: nn.Module = torch.jit.load(  # type: ignore[no-untyped-call]
            io.BytesIO(data), _extra_files=extra
        )
    except RuntimeError:
        try:
            program = torch.export.load(io.BytesIO(data), extra_files=extra)
        except Exception as exc:  # torch raises several types for a file that is not one
            raise ValueError(
                f"{name} is neither a TorchScript file nor a torch.export program: save "
                "frontends with torchspec.save_frontend"
            ) from exc
        module = program.module()
    try:
        meta = json.loads(extra[META]) if extra[META] else {}
    except ValueError:
        meta = {}
    if not isinstance(meta, dict) or "sample_rate" not in meta:
        raise ValueError(
            f"{name} holds no sample rate ({META}): save frontends with torchspec.save_frontend"
        )
    return module, meta
