"""Which of torch's program capturers is running the code: eager, torch.compile/export, or
TorchScript.

Python-only work (input checks with rich messages, empty-batch handling, warnings that read a
value, marks written on output tensors) runs behind ``if not scripting():``: TorchScript drops
that branch unseen, so the layers stay scriptable without giving up their eager checks.
"""

import sys
from typing import Any, ClassVar

import torch
from torch._jit_internal import is_scripting as scripting  # the very function TorchScript folds

__all__ = [
    "NotScriptable",
    "capturing",
    "compiling",
    "onnx_exporting",
    "refuse_script",
    "scripting",
]


def compiling() -> bool:
    """True while ``torch.compile`` or ``torch.export`` traces the code (False in TorchScript)."""
    if scripting():
        return False
    else:
        return torch.compiler.is_compiling()


def capturing() -> bool:
    """True while any capturer records the code (torch.compile/export, ``torch.jit.trace``,
    ONNX export): a Python loop over sizes would be unrolled into the graph. Eager Python only:
    call it behind ``if not scripting():``."""
    if compiling():  # first: dynamo must not trace into the torch._C query below
        return True
    tracing = torch._C._is_tracing()  # torch.jit.is_tracing, which mypy sees untyped
    return bool(tracing) or onnx_exporting()


def onnx_exporting() -> bool:
    """True inside ``torch.onnx.export``, in each of its capture strategies.

    ``torch.onnx.is_in_onnx_export()`` is folded to False when the exporter falls back to
    ``torch.export(strict=True)``; the exporter's own flag is read too (private: should it move,
    this is the public answer alone)."""
    flags = sys.modules.get("torch.onnx._internal.exporter._flags")
    return bool(getattr(flags, "_is_onnx_exporting", False)) or torch.onnx.is_in_onnx_export()


def refuse_script(layer: str, why: str) -> RuntimeError:
    """The error a layer raises from ``__prepare_scriptable__`` when TorchScript cannot compile
    it (``raise refuse_script(...)``): named, with the reason and the routes that work."""
    return RuntimeError(
        f"{layer} cannot be compiled by torch.jit.script: {why}. It exports with "
        "torch.export.export and torch.onnx.export(..., dynamo=True) and runs under "
        "torch.compile; see the README's deployment table"
    )


class NotScriptable:
    """Mixin of the layers TorchScript does not compile: ``torch.jit.script`` raises
    :func:`refuse_script`'s error with the class's ``script_refusal`` instead of failing deep
    inside the TorchScript compiler."""

    script_refusal: ClassVar[str] = "not ported to TorchScript"

    def __prepare_scriptable__(self) -> Any:
        raise refuse_script(type(self).__name__, self.script_refusal)
