"""Reads for the shared dashboard and the pages that show the plan, one module per part.

Plan data arrives only through ``promisekeeper.promising`` (``cache.portfolio_snapshot``,
typed by ``promising.plan_types``); ``plan_facts`` turns it into plain rows and figures keyed
by database primary keys and dates, and the other modules read those facts or the database:
``tiles`` (KPI tiles), ``history`` (delivered projects), ``risk`` (at-risk projects),
``heatmap``, ``gantt``, ``recognition``, ``todos``, ``deals`` and ``person_work``; the KPI
page reads ``promise_outcomes``, ``effort_calibration``, ``logged_utilisation`` and
``checkins_held``.
"""
