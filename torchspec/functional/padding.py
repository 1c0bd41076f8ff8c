"""Padding along one axis, for the features that extend their edges as numpy and scipy do:
torch's modes along the last axis of any shape, and the symmetric extension (numpy's
``"symmetric"``, scipy.ndimage's ``"reflect"``: the edge sample repeated) along any axis."""

import torch
import torch.nn.functional as F
from torch import Tensor


def pad_last(x: Tensor, left: int, right: int, mode: str = "constant") -> Tensor:
    """``x`` with ``left`` and ``right`` samples added along its last axis, any leading dims.

    Args:
        mode: torch's: ``"constant"`` (zeros), ``"reflect"`` (numpy's ``"reflect"``, scipy's
            ``"mirror"``), ``"replicate"`` (numpy's ``"edge"``, scipy's ``"nearest"``) or
            ``"circular"`` (numpy's and scipy's ``"wrap"``).
    """
    lead = x.shape[:-1]
    flat = x.reshape(-1, 1, x.shape[-1])
    if mode == "constant":
        flat = F.pad(flat, (left, right))
    else:
        flat = F.pad(flat, (left, right), mode=mode)
    return flat.reshape(lead + (flat.shape[-1],))


def pad_symmetric(x: Tensor, left: int, right: int, dim: int) -> Tensor:
    """``x`` extended along ``dim`` by mirroring with the edge sample repeated (``c b a | a b
    c``), any number of times over (an extension longer than the axis keeps mirroring)."""
    n = x.shape[dim]
    index = torch.arange(-left, n + right, device=x.device).remainder(2 * n)
    index = torch.where(index < n, index, 2 * n - 1 - index)
    return x.index_select(dim, index)
