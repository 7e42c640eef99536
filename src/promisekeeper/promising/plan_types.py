"""The types of a planned portfolio, for the apps above promising that read plans.

Those apps may not import the engine (import-linter), but they read a snapshot's plan and
should be able to annotate what they read; these are the engine's own types under the names
they use, so the type checker sees the real fields.
"""

from __future__ import annotations

from promisekeeper.engine.model import EffortPhase, FixedPhase, Phase
from promisekeeper.engine.model import Project as PlannedProject
from promisekeeper.engine.plan import PhaseTiming, ProjectResult
from promisekeeper.promising.to_engine import ProjectRef

__all__ = [
    "EffortPhase",
    "FixedPhase",
    "Phase",
    "PhaseTiming",
    "PlannedProject",
    "ProjectRef",
    "ProjectResult",
]
