"""What both engines are handed: the plan and how to decode and compute it."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .compute import Feature
from .decode import DecodeOptions
from .plan import Plan


@dataclass
class Job:
    """One run's work.

    Attributes:
        feature: what is computed (frontend, finish, how clips are cut).
        plan: the pending inputs and their batches.
        decode: how each file is decoded.
        device: where the frontend runs (the local engine's; Ray actors pick their own).
        compute_dtype: float32, or float64 for ``--dtype float64``.
        max_samples: most samples in one frontend call (count x longest x channels).
    """

    feature: Feature
    plan: Plan
    decode: DecodeOptions
    device: torch.device
    compute_dtype: torch.dtype
    max_samples: int
