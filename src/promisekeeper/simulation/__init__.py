"""A business replayed day by day, to measure whether promises are kept as often as stated.

``promisekeeper simulate`` (:mod:`promisekeeper.simulation.cli`) runs a seeded year (or
more) of a firm: work arrives, each arrival is quoted by a *policy*, the quote becomes a
promise, and the firm delivers by following the engine's plan day by day. Every phase
has a hidden true effort the planner never sees; the hours actually worked feed back
into the plan (a phase under way carries its spent hours) and into the calibration the
engine's confidence draws from (finished phases become history). At the end each policy
is scored on the same stream of arrivals and true efforts: the share of promises kept
against the confidence it stated, and how long its quotes were.

Plain Python and the engine, no Django. The pieces:

* :mod:`~promisekeeper.simulation.scenarios`: the firms (a one-person queue whose right
  answer is known in closed form, and a 19-person agency) and the arrival stream.
* :mod:`~promisekeeper.simulation.policies`: how a quote is made (a standard lead time,
  pooled hours, the engine's deterministic date, the engine at P50/P80/P95).
* :mod:`~promisekeeper.simulation.replays`: the day-by-day replay of one policy.
* :mod:`~promisekeeper.simulation.scoring`: what a run is scored on, and the queueing
  theory the one-person queue is checked against.
"""

from promisekeeper.simulation.policies import Policy
from promisekeeper.simulation.replays import PromiseRecord, RunResult, replay
from promisekeeper.simulation.scenarios import Scenario, agency_scenario, queue_scenario
from promisekeeper.simulation.scoring import PolicyScore, queue_theory, score

__all__ = [
    "Policy",
    "PolicyScore",
    "PromiseRecord",
    "RunResult",
    "Scenario",
    "agency_scenario",
    "queue_scenario",
    "queue_theory",
    "replay",
    "score",
]
