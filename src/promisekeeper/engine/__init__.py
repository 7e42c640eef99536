"""The capacity and promise engine: plain data in, plain data out, no Django.

The public API is what ``__all__`` lists; docs/engine.md describes it with examples.
Three entry points share their module's name and are reached through it, because
existing code imports those modules from the package (``from promisekeeper.engine
import schedule``): ``schedule.schedule`` plans a portfolio, ``confidence.confidence``
runs the Monte Carlo finish-date quantiles and ``options.options`` lists alternatives
for a missed date. Every other name is importable from here directly.

The engine's own modules import each other by their full module path, never through
this package, so importing it cannot start an import cycle.
"""

from promisekeeper.engine import confidence, options, schedule
from promisekeeper.engine.atp import ATP, available_to_promise
from promisekeeper.engine.calibration import (
    CalibrationSettings,
    EffortQuantiles,
    HistoryRow,
    PredictRow,
    calibrate,
    effort_distribution,
    pinball_loss,
    ratio_quantiles,
)
from promisekeeper.engine.check import Violation, check_plan
from promisekeeper.engine.confidence import ConfidenceAnswer, ConfidenceLevel, confidence_reanchored
from promisekeeper.engine.edits import (
    Booked,
    Displaced,
    pin_projects,
    pinned_result,
    plan_without,
    replace_displaced,
    replace_projects,
    schedule_after,
    schedule_pinned,
)
from promisekeeper.engine.effort import (
    EffortDistribution,
    EffortKind,
    minimum_remaining,
    remaining_effort,
)
from promisekeeper.engine.errors import EngineError, InvalidInput
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Phase,
    Project,
    ProjectState,
    TimeOff,
    validate_instance,
)
from promisekeeper.engine.options import (
    Option,
    OptionKind,
    OptionOutcome,
    OptionsAnswer,
    hire_option,
    largest_scope,
    overtime_confidence,
    overtime_option,
    overtime_placement,
    overtime_room,
    reshuffle_option,
    with_quantity,
)
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, ProjectResult, ProjectStatus
from promisekeeper.engine.portfolio import portfolio_confidence
from promisekeeper.engine.promise import (
    AnswerStatus,
    Bottleneck,
    DeliveryAnswer,
    Move,
    PhaseWait,
    PromiseAnswer,
    can_deliver_by,
    earliest_finish,
    placement_fits,
)
from promisekeeper.engine.schedule import default_order, schedule_in_order
from promisekeeper.engine.verdict import Binding, Verdict, promise_verdict, strongest_level_met

__all__ = [
    # input model
    "Calendar",
    "Dependency",
    "EffortDistribution",
    "EffortKind",
    "EffortPhase",
    "FixedPhase",
    "Instance",
    "Person",
    "Phase",
    "Project",
    "ProjectState",
    "TimeOff",
    "validate_instance",
    "minimum_remaining",
    "remaining_effort",
    # plans
    "Allocations",
    "PhaseTiming",
    "Plan",
    "ProjectResult",
    "ProjectStatus",
    "schedule",
    "default_order",
    "schedule_in_order",
    # promise queries
    "AnswerStatus",
    "Bottleneck",
    "DeliveryAnswer",
    "Move",
    "PhaseWait",
    "PromiseAnswer",
    "can_deliver_by",
    "earliest_finish",
    "placement_fits",
    # confidence and the verdict
    "confidence",
    "ConfidenceAnswer",
    "ConfidenceLevel",
    "confidence_reanchored",
    "portfolio_confidence",
    "Binding",
    "Verdict",
    "promise_verdict",
    "strongest_level_met",
    # options
    "options",
    "Option",
    "OptionKind",
    "OptionOutcome",
    "OptionsAnswer",
    "hire_option",
    "largest_scope",
    "overtime_confidence",
    "overtime_option",
    "overtime_placement",
    "overtime_room",
    "reshuffle_option",
    "with_quantity",
    # plan edits
    "Booked",
    "Displaced",
    "pin_projects",
    "replace_displaced",
    "replace_projects",
    "pinned_result",
    "plan_without",
    "schedule_after",
    "schedule_pinned",
    # stock
    "ATP",
    "available_to_promise",
    # effort calibration
    "CalibrationSettings",
    "EffortQuantiles",
    "HistoryRow",
    "PredictRow",
    "calibrate",
    "effort_distribution",
    "pinball_loss",
    "ratio_quantiles",
    # checking plans
    "Violation",
    "check_plan",
    # errors
    "EngineError",
    "InvalidInput",
]
