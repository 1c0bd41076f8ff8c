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

from torch import Tensor

from .tracing import capturing

__all__ = ["BLOCK_ELEMENTS", "eager_cpu", "item_groups", "row_pieces"]

BLOCK_ELEMENTS = 1 << 19  # 2 MiB of float32 per intermediate: the L2 cache of one core


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
