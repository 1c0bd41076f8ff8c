"""SpecAugment's masks: the distributions of their widths and starts (torchaudio's: width
``floor(u1 * W)``, start ``floor(u2 * (L - u1 * W))``), shared or per-item draws, ``p``, the
generator, and the errors. Equality with torchaudio under one seed is in
tests/test_transforms_reference.py.
"""

from __future__ import annotations

import math

import pytest
import torch

from torchspec import FrequencyMasking, SpecAugment, TimeMasking
from torchspec.functional.augment import mask_along_axis, mask_along_axis_iid

ITEMS = 6000


def bands(out: torch.Tensor, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Width and start of each item's masked band (zeros in an input of ones)."""
    masked = (out == 0).any(dim=axis)  # (items, length): masked positions along the other axis
    widths = masked.sum(-1)
    starts = torch.where(widths > 0, masked.float().argmax(-1), -1)
    # contiguous: the band is [start, start + width)
    index = torch.arange(masked.shape[-1])
    expected = (index >= starts[:, None]) & (index < (starts + widths)[:, None])
    assert torch.equal(masked, expected)
    return widths, starts


@pytest.mark.parametrize(
    ("layer", "axis", "length", "largest"),
    [
        (FrequencyMasking(12, iid_masks=True), -1, 40, 12),
        (TimeMasking(30, iid_masks=True, p=0.2), -2, 50, 10),  # p: at most 10 of 50 frames
    ],
)
def test_per_item_widths_and_starts_follow_torchaudios_distribution(layer, axis, length, largest):
    shape = (ITEMS, 1, length, 7) if axis == -1 else (ITEMS, 1, 7, length)
    generator = torch.Generator().manual_seed(3)
    out = layer(torch.ones(shape), 0.0, generator)
    widths, starts = bands(out[:, 0], axis)
    # width = floor(u * W): uniform on 0 .. W - 1; each count within 5 binomial sigmas
    counts = torch.bincount(widths, minlength=largest + 1).float()
    assert counts[largest:].sum() == 0
    mean, sigma = ITEMS / largest, math.sqrt(ITEMS / largest * (1 - 1 / largest))
    assert ((counts[:largest] - mean).abs() < 5 * sigma).all(), counts
    # start = floor(u2 * (L - u1 W)): E = E[(L - u1 W) / 2] - 1/2 = (L - W / 2) / 2 - 1/2
    drawn = starts[widths > 0].float()
    expected = (length - largest / 2) / 2 - 0.5
    assert abs(drawn.mean().item() - expected) < 5 * drawn.std().item() / math.sqrt(len(drawn))
    assert int((starts + widths).max()) <= length


def test_shared_masks_are_one_band_for_the_whole_batch():
    x = torch.ones(16, 2, 30, 40)
    torch.manual_seed(0)
    out = TimeMasking(20)(x)
    assert (out == out[:1, :1]).all()  # every item masked alike
    torch.manual_seed(0)
    per_item = TimeMasking(20, iid_masks=True)(x)
    distinct = {tuple(row) for row in (per_item[:, :, 0] == 0).reshape(32, -1).int().tolist()}
    assert len(distinct) > 4


def test_generator_repeats_the_masks_and_leaves_the_global_seed_alone():
    x = torch.rand(4, 3, 20, 50)
    layer = SpecAugment(2, 10, 2, 5)
    state = torch.get_rng_state()
    first = layer(x, torch.Generator().manual_seed(11))
    again = layer(x, torch.Generator().manual_seed(11))
    other = layer(x, torch.Generator().manual_seed(12))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert torch.equal(torch.get_rng_state(), state)


def test_spec_augment_fills_with_the_mean_or_zero():
    x = torch.rand(2, 1, 20, 50) + 1.0
    torch.manual_seed(5)
    out = SpecAugment(1, 20, 1, 10)(x)
    filled = out[out != x]
    assert filled.numel() > 0 and torch.allclose(filled, x.mean().expand_as(filled))
    torch.manual_seed(5)
    zero = SpecAugment(1, 20, 1, 10, zero_masking=True)(x)
    assert (zero[zero != x] == 0).all()


def test_zero_mask_param_or_p_masks_nothing():
    x = torch.rand(2, 20, 30)
    assert torch.equal(FrequencyMasking(0)(x), x)
    assert torch.equal(TimeMasking(10, p=0.0)(x), x)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="at least 3 dims"):
        FrequencyMasking(5, iid_masks=True)(torch.rand(20, 30))
    with pytest.raises(ValueError, match="at least 2 dims"):
        mask_along_axis(torch.rand(30), 5, 0.0, 0)
    with pytest.raises(ValueError, match="frequency axis 1 or the time axis 2"):
        mask_along_axis_iid(torch.rand(2, 20, 30), 5, 0.0, 0)
    with pytest.raises(TypeError, match="real floating-point"):
        TimeMasking(5)(torch.rand(20, 30, dtype=torch.complex64))
    with pytest.raises(ValueError, match="p must be"):
        TimeMasking(5, p=1.5)
