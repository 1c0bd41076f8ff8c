"""Cache-sized blocks: batched work on the CPU, a few items (or frames) at a time.

On a CPU, a whole batch's frames and spectra (16 utterances of 10 s: tens of MB per
intermediate) stream through main memory once per operation, while one utterance's fit in the
cache. Running the same operations on blocks of at most ``BLOCK_ELEMENTS`` values each and
joining the results is 1.8x (WhisperLogMel) to 4.3x (KaldiFbank) faster on 2 threads
(``benchmarks/bench_presets.py``); every operation is per frame or per item, so blocks change
what runs together, not what is computed. Accelerators, ``torch.compile``/``torch.export``,
tracing and ONNX export get the whole batch at once: their graphs must not depend on the batch
size.
"""

from collections.abc import Callable

import torch
from torch import Tensor

from .tracing import capturing

__all__ = [
    "BLOCK_ELEMENTS",
    "CACHED_BATCH_ELEMENTS",
    "eager_cpu",
    "in_item_groups",
    "item_groups",
    "row_pieces",
]

BLOCK_ELEMENTS = 1 << 19  # 2 MiB of float32 per intermediate: the L2 cache of one core
# A batch whose frames hold fewer values (32 MiB of float32, the last-level cache here) gains
# nothing reliable from blocks in the STFT layers (measured: n_fft 400 on 16 x 10 s).
CACHED_BATCH_ELEMENTS = 1 << 23


def eager_cpu(x: Tensor) -> bool:
    """Whether ``x`` is on the CPU in eager code, where blocks pay (call it only behind
    ``if not scripting():``, and before reading any size: under torch.export, comparing a
    dynamic size would fix it)."""
    return x.device.type == "cpu" and not capturing()


def item_groups(items: int, elements_per_item: int) -> list[slice]:
    """Consecutive groups of whole items of at most ``BLOCK_ELEMENTS`` elements each (at least
    one item per group), covering ``range(items)``."""
    group = max(1, BLOCK_ELEMENTS // max(1, elements_per_item))
    return [slice(start, start + group) for start in range(0, items, group)]


def row_pieces(rows: int, width: int) -> list[slice]:
    """Consecutive pieces of ``rows`` rows of ``width`` elements, each of at most
    ``BLOCK_ELEMENTS`` elements (at least one row), covering ``range(rows)``."""
    step = max(1, BLOCK_ELEMENTS // max(1, width))
    return [slice(start, start + step) for start in range(0, max(rows, 1), step)]


def in_item_groups(
    fn: Callable[[Tensor], Tensor], x: Tensor, elements_per_item: int, *, whole_below: int
) -> Tensor | None:
    """``fn`` over :func:`item_groups` of ``x`` ``(..., time)`` (leading dims flattened into
    items), the outputs joined back under ``x``'s leading dims. None (the caller runs ``fn`` on
    the whole batch) off the CPU, under a capturer, when the batch holds fewer than
    ``whole_below`` elements, or when one group would hold every item. Call it behind
    ``if not scripting():``."""
    if not eager_cpu(x) or x.dim() < 2:
        return None
    items = x.shape[:-1].numel()
    if items * elements_per_item < whole_below:
        return None
    groups = item_groups(items, elements_per_item)
    if len(groups) < 2:
        return None
    flat = x.reshape(-1, x.shape[-1])
    out = torch.cat([fn(flat[group]) for group in groups])
    return out.reshape(x.shape[:-1] + out.shape[1:])
