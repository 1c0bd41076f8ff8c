"""ONNX has no complex tensors: an adapter that carries them as real ``(..., 2)`` pairs."""

import torch
from torch import Tensor, nn


class ComplexAsReal(nn.Module):
    """Wrap a layer so that complex tensors cross its boundary as real (real, imaginary) pairs
    in a trailing dim of 2, which ONNX and ONNX Runtime can carry.

    ``torch.onnx.export`` already writes a complex output this way; an inverse layer
    (:class:`~torchspec.InverseSpectrogram`, :class:`~torchspec.InverseCQT`) needs the wrapper
    to take its complex input at all.

    Args:
        layer: the torchspec layer (any module).

    Keyword-only args:
        complex_input: the layer takes a complex tensor: the wrapper takes ``(..., 2)`` real
            pairs (``torch.view_as_real(spec)``, contiguous) instead.

    Shapes: input as the layer's, with a trailing 2 when ``complex_input``; output as the
    layer's, with a trailing 2 when it is complex.

    Example:
        >>> inverse = ComplexAsReal(torchspec.InverseSpectrogram(512), complex_input=True)
        >>> torch.onnx.export(inverse, (torch.view_as_real(spec),), dynamo=True, ...)
    """

    def __init__(self, layer: nn.Module, *, complex_input: bool) -> None:
        super().__init__()
        if not isinstance(complex_input, bool):
            raise TypeError(f"complex_input must be a bool, got {complex_input!r}")
        self.layer, self.complex_input = layer, complex_input

    def forward(self, x: Tensor) -> Tensor:
        """Args: x, real pairs ``(..., 2)`` when ``complex_input``. Returns the layer's output,
        complex results as real pairs."""
        if self.complex_input:
            if x.dim() == 0 or x.shape[-1] != 2:
                raise ValueError(
                    "ComplexAsReal(complex_input=True) takes real (real, imaginary) pairs "
                    f"(..., 2), e.g. torch.view_as_real(spec); got shape {list(x.shape)}"
                )
            x = torch.view_as_complex(x)
        y: Tensor = self.layer(x)
        return torch.view_as_real(y) if y.is_complex() else y
