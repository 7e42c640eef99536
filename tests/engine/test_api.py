"""The engine's public API: what ``promisekeeper.engine`` exports, documented and runnable."""

from __future__ import annotations

import doctest
import importlib
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import promisekeeper
from promisekeeper import engine

DOCS = Path(__file__).resolve().parents[2] / "docs" / "engine.md"
RESEARCH = ("rcpsp", "exact", "psplib", "taskjuggler", "synthetic")
ENGINE_MODULES = (  # the modules behind the public API (not io, report or research)
    "atp",
    "calibration",
    "capacity",
    "check",
    "confidence",
    "edits",
    "effort",
    "errors",
    "model",
    "options",
    "placement",
    "plan",
    "promise",
    "schedule",
    "verdict",
)


def test_every_public_name_is_importable_from_the_package() -> None:
    missing = [name for name in engine.__all__ if not hasattr(engine, name)]
    assert missing == []
    assert len(set(engine.__all__)) == len(engine.__all__)


def test_the_entry_points_named_like_their_module_are_the_modules() -> None:
    for name in ("schedule", "confidence", "options"):
        module = getattr(engine, name)
        assert isinstance(module, types.ModuleType)
        assert callable(getattr(module, name))


def test_the_research_solvers_are_not_public() -> None:
    modules = {getattr(getattr(engine, name), "__module__", "") for name in engine.__all__}
    assert not any(module.rsplit(".", 1)[-1] in RESEARCH for module in modules)
    assert not set(RESEARCH) & set(engine.__all__)


def test_importing_the_engine_loads_no_research_solver() -> None:
    source = str(Path(promisekeeper.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, promisekeeper.engine; "
            "print(' '.join(m for m in sys.modules if m.startswith('promisekeeper.engine.')))",
        ],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "promisekeeper.engine.verdict" in loaded
    assert not {f"promisekeeper.engine.{name}" for name in RESEARCH} & set(loaded)


def test_every_public_name_has_a_docstring_of_its_own() -> None:
    undocumented = []
    for name in engine.__all__:
        obj = getattr(engine, name)
        if isinstance(obj, types.UnionType):
            continue  # Phase: a type alias
        doc = (obj.__doc__ or "").strip()
        if not doc or doc.startswith(f"{name}("):  # a dataclass's generated signature
            undocumented.append(name)
    assert undocumented == []


def test_every_public_name_is_on_the_engine_page() -> None:
    page = DOCS.read_text()
    assert [name for name in engine.__all__ if not re.search(rf"\b{name}\b", page)] == []


def test_the_engine_page_examples_run() -> None:
    page = DOCS.read_text()
    blocks = re.findall(r"```pycon\n(.*?)```", page, re.S)
    assert len(blocks) >= 8
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "engine.md", str(DOCS), 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
    assert runner.summarize(verbose=False).attempted > 30


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_the_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(f"promisekeeper.engine.{name}")
    failed, _ = doctest.testmod(module, report=False)
    assert failed == 0
