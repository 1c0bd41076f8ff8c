"""The README's example runs, and the demo command prints the tones it generated."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from torchspec.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    """Every Python block runs, and warns about nothing that its parameters could avoid (a
    deprecation inside torch's own exporter is not the README's to fix)."""
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(block, str(README), "exec"), {})
        ours = [
            w for w in caught if not issubclass(w.category, (FutureWarning, DeprecationWarning))
        ]
        assert not ours, [f"{w.category.__name__}: {w.message}" for w in ours]


def test_demo_finds_the_generated_tones(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["demo"]) == 0
    out = capsys.readouterr().out
    shown = README.read_text().split("torchspec demo: ", 1)[1].split("```", 1)[0]
    assert out == "torchspec demo: " + shown  # the README shows what it prints
    peak_lines = [line for line in out.splitlines() if "strongest bins" in line]
    assert len(peak_lines) == 2, out
    for line in peak_lines:
        low, high = map(float, re.findall(r"\[([\d.]+), ([\d.]+)\]", line)[0])
        assert abs(low - 440.0) < 11 and abs(high - 1000.0) < 11, line
    error = float(re.search(r"relative error ([\d.e+-]+)", out).group(1))
    assert error < 1e-5


def test_ci_runs_the_readme_test_command():
    """CI must run exactly the command the README gives for the test suite."""
    text = README.read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci


def test_version_is_defined_once():
    import torchspec

    changelog = (README.parent / "CHANGELOG.md").read_text()
    assert f"## {torchspec.__version__}" in changelog
    pyproject = (README.parent / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "torchspec.__version__" in pyproject


def test_version_flag(capsys):
    import pytest

    import torchspec

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"torchspec {torchspec.__version__}"


def test_every_public_layer_has_its_docstring():
    # A class attribute written above the docstring makes it an ordinary string: help() and
    # the docs would show nothing.
    from helpers import public_layers

    missing = [name for name, cls in public_layers().items() if not cls.__doc__]
    assert not missing, missing
