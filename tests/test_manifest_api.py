"""The manifest as an API: read_manifest gives the current record of each input, and
recompute(record) gives the stored array again from the source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import torchspec
from torchspec.cli import main
from torchspec.extract import example_files


@pytest.mark.parametrize(
    "options",
    [
        ["--feature", "mel", "--db", "--mono"],
        ["--feature", "cqt", "--sample-rate", "16000"],
        ["--preset", "kaldi-fbank"],
        ["--feature", "mfcc", "--n-mfcc", "13"],
    ],
)
def test_recompute_gives_the_stored_array(tmp_path: Path, options: list[str]) -> None:
    assert main(["extract", "--out", str(tmp_path), *options]) == 0
    records = torchspec.read_manifest(tmp_path)
    assert len(records) == len(example_files())
    for record in records:
        stored = np.load(record["output"]).astype(np.float64)
        again = torchspec.recompute(record).double().numpy()
        assert again.shape == stored.shape
        if record["feature"] == "kaldi-fbank":
            # natural-log energies: compare the energies. A float32 FFT rounds differently in
            # another batch shape (extract batched this clip with others): 1e-7 of the peak,
            # which is a large log difference in bins 1e-6 below it
            stored, again = np.exp(stored), np.exp(again)
        scale = np.abs(stored).max()
        np.testing.assert_allclose(again, stored, rtol=1e-5, atol=1e-5 * scale)


def test_a_rerun_with_other_parameters_leaves_one_record_per_input(tmp_path: Path) -> None:
    assert main(["extract", "--out", str(tmp_path), "--feature", "mel"]) == 0
    assert main(["extract", "--out", str(tmp_path), "--feature", "mel", "--n-mels", "40"]) == 0
    records = torchspec.read_manifest(tmp_path)
    assert len(records) == len(example_files())
    assert {r["params"]["n_mels"] for r in records} == {40}
    assert all(np.load(r["output"]).shape[1] == 40 for r in records)


def test_read_manifest_says_what_is_not_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is it a torchspec extract --out"):
        torchspec.read_manifest(tmp_path)
