"""The bottleneck names the phase and the role that hold a new project's date back.

Each portfolio below has a role with time to spare (the project manager) and a role whose
capacity is taken (the designers), and asks which phase and role the engine blames and
how many days that phase itself lost.
"""

from __future__ import annotations

from datetime import date

from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Project,
)
from promisekeeper.engine.options import OptionOutcome, hire_option
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import earliest_finish
from promisekeeper.engine.schedule import schedule

MONDAY = date(2027, 1, 4)
ROLES = ("designer", "project manager")
PIA = Person("pia", {"project manager": 1.0})
DAN = Person("dan", {"designer": 1.0})
DEE = Person("dee", {"designer": 1.0})


def _plan(people: tuple[Person, ...], *booked: Project) -> Plan:
    instance = Instance(Calendar(MONDAY, horizon_days=120), ROLES, people, booked)
    return schedule(instance)


def _designers_booked(hours: float, *, per_day: float = 8.0, people: int = 1) -> Project:
    """Work already promised that takes the designers' first days."""
    phase = EffortPhase("support", "designer", hours, max_people=people, max_hours_per_day=per_day)
    return Project("retainer", (phase,), promised_day=60, name="Retainer")


def _workshop_then_ux() -> Project:
    return Project(
        "app",
        (
            EffortPhase("workshop", "project manager", 8.0, name="Workshop"),
            EffortPhase(
                "ux", "designer", 16.0, predecessors=(Dependency("workshop"),), name="UX design"
            ),
        ),
        name="App prototype",
    )


def test_the_phase_waiting_for_full_designers_is_blamed_for_its_own_days_only() -> None:
    call = Project("call", (EffortPhase("call", "project manager", 8.0),), promised_day=60)
    # The project manager is busy on Monday only; the designer for two weeks.
    plan = _plan((PIA, DAN), call, _designers_booked(80.0))
    answer = earliest_finish(plan, _workshop_then_ux())
    # Workshop on Tuesday (one day late), UX design on the third Monday and Tuesday.
    assert [(t.id, t.start_day, t.end_day) for t in answer.phases] == [
        ("workshop", 1, 2),
        ("ux", 14, 16),
    ]
    bottleneck = answer.bottleneck
    assert bottleneck is not None
    # UX design was ready on Wednesday and could have ended on Thursday: it lost 12 days.
    # The project as a whole is 13 days late; one of them is the workshop's.
    assert (bottleneck.phase, bottleneck.role, bottleneck.delay_days) == ("ux", "designer", 12)
    assert bottleneck.name == "UX design"
    assert [(w.name, w.role, w.days) for w in bottleneck.waits] == [
        ("UX design", "designer", 12),
        ("Workshop", "project manager", 1),
    ]
    assert bottleneck.weeks[0] == (0, 1.0)  # the designer's first week is fully booked


def test_a_crew_phase_waits_for_the_role_that_has_nobody_free_for_a_whole_day() -> None:
    # Both designers have half of each day booked for two weeks: nobody can give the
    # workshop its full day, though together they have more spare hours than the
    # project manager, who is free.
    plan = _plan((PIA, DAN, DEE), _designers_booked(80.0, per_day=4.0, people=2))
    workshop = FixedPhase(
        "workshop", 1, {"project manager": 1, "designer": 1}, name="Kick-off workshop"
    )
    answer = earliest_finish(plan, Project("app", (workshop,), name="App prototype"))
    assert answer.phases[0].start_day == 14
    bottleneck = answer.bottleneck
    assert bottleneck is not None
    assert (bottleneck.phase, bottleneck.role, bottleneck.delay_days) == (
        "workshop",
        "designer",
        14,
    )
    assert bottleneck.name == "Kick-off workshop"


def test_a_phase_that_waits_off_the_finishing_chain_is_not_the_bottleneck() -> None:
    # Concepts wait a week for the designer but are done long before the project
    # manager's two-week brief, and the handover waits for both: the brief sets the date.
    plan = _plan((PIA, DAN), _designers_booked(40.0))
    project = Project(
        "brand",
        (
            EffortPhase("brief", "project manager", 80.0, name="Brief"),
            EffortPhase("concepts", "designer", 16.0, name="Concepts"),
            EffortPhase(
                "handover",
                "project manager",
                8.0,
                predecessors=(Dependency("brief"), Dependency("concepts")),
                name="Handover",
            ),
        ),
    )
    answer = earliest_finish(plan, project)
    assert answer.finish_day == answer.unconstrained_finish_day == 15
    bottleneck = answer.bottleneck
    assert bottleneck is not None
    assert (bottleneck.phase, bottleneck.role, bottleneck.delay_days) == (
        "brief",
        "project manager",
        0,
    )
    assert (bottleneck.name, bottleneck.waits) == ("Brief", ())


def test_a_phase_late_only_because_its_predecessor_was_late_loses_nothing() -> None:
    plan = _plan((PIA, DAN), _designers_booked(80.0))
    project = Project(
        "app",
        (
            EffortPhase("ux", "designer", 16.0, name="UX design"),
            EffortPhase(
                "review", "project manager", 8.0, predecessors=(Dependency("ux"),), name="Review"
            ),
        ),
    )
    answer = earliest_finish(plan, project)
    assert answer.bottleneck is not None
    assert (answer.bottleneck.phase, answer.bottleneck.role) == ("ux", "designer")
    assert [(w.name, w.days) for w in answer.bottleneck.waits] == [("UX design", 14)]


def test_one_more_person_is_of_the_role_that_binds_and_brings_the_date_forward() -> None:
    plan = _plan((PIA, DAN, DEE), _designers_booked(80.0, per_day=4.0, people=2))
    workshop = FixedPhase("workshop", 1, {"project manager": 1, "designer": 1}, name="Workshop")
    project = Project("app", (workshop,), name="App prototype")
    baseline = earliest_finish(plan, project)
    assert baseline.finish_day == 15
    option = hire_option(plan, project, by_day=5, hire_day=0, baseline=baseline)
    assert option.outcome is OptionOutcome.HIRE
    assert option.hire_role == "designer"
    assert option.finish_day == 1 and option.feasible


def test_a_hire_that_would_not_move_the_date_says_so() -> None:
    plan = _plan((PIA, DAN, DEE), _designers_booked(80.0, per_day=4.0, people=2))
    workshop = FixedPhase("workshop", 1, {"project manager": 1, "designer": 1}, name="Workshop")
    project = Project("app", (workshop,), name="App prototype")
    option = hire_option(plan, project, by_day=5, hire_day=21)  # joins after the workshop
    assert option.outcome is OptionOutcome.NO_GAIN
    assert (option.hire_role, option.finish_day, option.feasible) == ("designer", 15, False)
    assert option.hire_hours == 0.0
    assert option.describe() == (
        "one more designer (40 h/week) from day 21 would not bring the finish forward: "
        "the project still has its last work day on day 14"
    )
