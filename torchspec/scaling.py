"""Decibel scaling: AmplitudeToDB, per item so no result depends on the rest of the batch."""

from torch import Tensor, nn

from .checks import check_choice, check_number, check_real, mark_db, warn_power_mismatch
from .functional.scaling import amplitude_to_db
from .tracing import scripting


class AmplitudeToDB(nn.Module):
    """Power or magnitude spectrogram to decibels. Drop-in for torchaudio's ``AmplitudeToDB``.

    Computes ``multiplier * log10(max(x, amin)) - multiplier * log10(max(ref, amin))`` with
    ``multiplier`` 10 for power and 20 for magnitude, then, if ``top_db`` is set, raises every
    value to at least ``top_db`` below the maximum.

    Unlike torchaudio, ``ref="max"`` and ``top_db`` act on each ``(freq, time)`` spectrogram on
    its own, whatever the number of leading dims: the result for an item never depends on what
    else is in the batch. (torchaudio takes one maximum over the whole tensor for 2-D and 3-D
    input and one per batch item for 4-D input; with ``(batch, 1, freq, time)`` the two agree.)

    Args:
        stype: ``"power"`` (default) or ``"magnitude"``: what the input is. A layer built with
            ``power=1.0`` (a magnitude ``Spectrogram``, the README's ``CQT``) needs
            ``"magnitude"``; the layers mark their outputs, and a mismatch warns (eager).
        top_db: floor in dB below each item's peak, >= 0, or None (default) for no floor.

    Keyword-only args:
        ref: reference value (> 0) that maps to 0 dB, or ``"max"``: each item's maximum.
            Default 1.0.
        amin: smallest value taken into the logarithm, > 0. Default 1e-10 (torchaudio's).

    Shapes:
        input ``(..., freq, time)``; output the same shape and dtype, marked
        ``out.scale == "db"`` (eager) so that :func:`~torchspec.plot` draws it as it is.

    Example: ``librosa.power_to_db(S, ref=np.max, top_db=80.0)`` (librosa's default floor)
        is ``AmplitudeToDB(top_db=80.0, ref="max")(S)``, and ``librosa.power_to_db(S,
        ref=np.max, top_db=None)`` is ``AmplitudeToDB(ref="max")(S)`` (tested).
    """

    def __init__(
        self,
        stype: str = "power",
        top_db: float | None = None,
        *,
        ref: float | str = 1.0,
        amin: float = 1e-10,
    ) -> None:
        super().__init__()
        stype = check_choice("stype", stype, ("power", "magnitude"))
        if top_db is not None:
            top_db = check_number("top_db", top_db, at_least=0)
        if not (isinstance(ref, str) and ref == "max"):
            if isinstance(ref, str):
                raise ValueError(f"ref must be a number > 0 or 'max', got {ref!r}")
            ref = check_number("ref", ref, above=0)
        self.stype, self.top_db, self.ref = stype, top_db, ref
        self.amin = check_number("amin", amin, above=0)
        self.multiplier = 10.0 if stype == "power" else 20.0

    def forward(self, x: Tensor) -> Tensor:
        """Args: x ``(..., freq, time)`` non-negative. Returns dB of the same shape."""
        if not scripting():
            check_real(x, "AmplitudeToDB")
            warn_power_mismatch(x, self.multiplier, self.stype)
        out = amplitude_to_db(
            x, multiplier=self.multiplier, ref=self.ref, amin=self.amin, top_db=self.top_db
        )
        if not scripting():
            mark_db(out)
        return out

    def extra_repr(self) -> str:
        return f"stype='{self.stype}', top_db={self.top_db}, ref={self.ref!r}, amin={self.amin}"
