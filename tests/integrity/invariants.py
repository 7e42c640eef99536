"""An independent checker of every capacity invariant, in plain SQL over the tables.

It imports nothing of the application: each query reads the raw rows (people, time off,
closures, reservations, loads, approvals, promises, stock) and recomputes what must hold,
so a bug in the code that books or checks cannot hide itself here. Call it at the end of
a test that raced, crashed or approved, on SQLite and PostgreSQL:

    assert capacity_violations(connection) == []

Invariants, all in whole minutes or units:

- regular time on a person-day (reserved less overtime) is within its capacity, and within
  what the person's contract gives that weekday (hours × delivery share, less time off;
  nothing before they start, after they leave, on a full day off or a company closure);
- overtime is within the day's allowance and within the largest approved overtime share of
  the promises booking it, times the day's capacity; no overtime without such an approval;
- a load is exactly the sum of its reservations (reserved and overtime), and every booked
  person-day has a load;
- the units due by any date are within stock on hand plus supply arriving by that date, and
  each product's promised units are the sum of its promised reservations;
- no partial promise: a won deal with a promise holds all of it (its products' units in
  full, its work's hours on a live project), nothing is held for a cancelled one, and every
  reservation belongs to its deal's latest promise.
"""

from __future__ import annotations

from typing import Any

WEEKDAY_HOURS = """CASE {weekday}
    WHEN 0 THEN p.hours_sun WHEN 1 THEN p.hours_mon WHEN 2 THEN p.hours_tue
    WHEN 3 THEN p.hours_wed WHEN 4 THEN p.hours_thu WHEN 5 THEN p.hours_fri
    ELSE p.hours_sat END"""

LOAD_SUMS = """
SELECT l.person_id, l.day, l.reserved_minutes, COALESCE(r.minutes, 0),
       l.overtime_minutes, COALESCE(r.overtime, 0)
FROM sales_persondayload l
LEFT JOIN (
    SELECT person_id, day, SUM(minutes) AS minutes, SUM(overtime_minutes) AS overtime
    FROM sales_capacityreservation GROUP BY person_id, day
) r ON r.person_id = l.person_id AND r.day = l.day
WHERE l.reserved_minutes <> COALESCE(r.minutes, 0)
   OR l.overtime_minutes <> COALESCE(r.overtime, 0)
"""

BOOKED_WITHOUT_LOAD = """
SELECT r.person_id, r.day, SUM(r.minutes)
FROM sales_capacityreservation r
LEFT JOIN sales_persondayload l ON l.person_id = r.person_id AND l.day = r.day
WHERE l.id IS NULL
GROUP BY r.person_id, r.day
"""

REGULAR_OVER_CAPACITY = """
SELECT person_id, day, reserved_minutes - overtime_minutes, capacity_minutes
FROM sales_persondayload
WHERE reserved_minutes - overtime_minutes > capacity_minutes
"""

REGULAR_OVER_CONTRACT = """
SELECT l.person_id, l.day, l.reserved_minutes - l.overtime_minutes,
       ({hours}) * p.delivery_share * 60
FROM sales_persondayload l
JOIN people_person p ON p.id = l.person_id
WHERE l.reserved_minutes - l.overtime_minutes > 0
  AND (
    l.day < p.start_date
    OR (p.end_date IS NOT NULL AND l.day > p.end_date)
    OR EXISTS (SELECT 1 FROM organisation_companyclosure c
               WHERE l.day BETWEEN c.start_date AND c.end_date)
    OR EXISTS (SELECT 1 FROM people_timeoff t
               WHERE t.person_id = l.person_id AND l.day BETWEEN t.start_date AND t.end_date
                 AND (t.hours_per_day IS NULL
                      OR (l.reserved_minutes - l.overtime_minutes) * 1.0
                         > (({hours}) - t.hours_per_day) * p.delivery_share * 60 + 0.5))
    OR (l.reserved_minutes - l.overtime_minutes) * 1.0 > ({hours}) * p.delivery_share * 60 + 0.5
  )
"""

OVERTIME_OVER_ALLOWANCE = """
SELECT person_id, day, overtime_minutes, overtime_allowed_minutes
FROM sales_persondayload
WHERE overtime_minutes > overtime_allowed_minutes
"""

# Overtime per person-day against the largest approved share of the promises booking it:
# 100 × overtime <= round(100 × share) × capacity + 50 is overtime <= share × capacity,
# rounded half up to a minute, in integers on both databases.
OVERTIME_OVER_SHARE = """
SELECT o.person_id, o.day, o.overtime, o.share100, l.capacity_minutes
FROM (
    SELECT r.person_id, r.day, SUM(r.overtime_minutes) AS overtime,
           MAX(CASE WHEN e.status = 'approved' AND e.overtime_share IS NOT NULL
                    THEN CAST(ROUND(e.overtime_share * 100) AS INTEGER) ELSE 0 END) AS share100
    FROM sales_capacityreservation r
    JOIN sales_promise pr ON pr.id = r.promise_id
    LEFT JOIN sales_exceptionrequest e ON e.id = pr.approval_id
    WHERE r.overtime_minutes > 0
    GROUP BY r.person_id, r.day
) o
LEFT JOIN sales_persondayload l ON l.person_id = o.person_id AND l.day = o.day
WHERE l.id IS NULL OR 100 * o.overtime > o.share100 * l.capacity_minutes + 50
"""

STOCK_DUE = """
SELECT s.product_id, s.deal_id, s.quantity,
       COALESCE(pr.promised_date, d.wanted_date, {today}) AS due
FROM catalog_stockreservation s
LEFT JOIN sales_promise pr ON pr.id = s.promise_id
LEFT JOIN sales_deal d ON d.id = s.deal_id
"""

STOCK_OVER_SUPPLY = """
SELECT due.product_id, due.due, SUM(later.quantity), p.stock_on_hand,
       (SELECT COALESCE(SUM(i.quantity), 0) FROM catalog_incomingsupply i
        WHERE i.product_id = due.product_id AND i.date <= due.due)
FROM (SELECT DISTINCT product_id, due FROM ({due}) dated) due
JOIN ({due}) later ON later.product_id = due.product_id AND later.due <= due.due
JOIN catalog_product p ON p.id = due.product_id
GROUP BY due.product_id, due.due, p.stock_on_hand
HAVING SUM(later.quantity) > p.stock_on_hand
    + (SELECT COALESCE(SUM(i.quantity), 0) FROM catalog_incomingsupply i
       WHERE i.product_id = due.product_id AND i.date <= due.due)
"""

AVAILABILITY_SUMS = """
SELECT a.product_id, a.reserved_quantity, COALESCE(s.quantity, 0)
FROM sales_productavailability a
LEFT JOIN (
    SELECT product_id, SUM(quantity) AS quantity FROM catalog_stockreservation
    WHERE promise_id IS NOT NULL GROUP BY product_id
) s ON s.product_id = a.product_id
WHERE a.reserved_quantity <> COALESCE(s.quantity, 0)
"""

LATEST_PROMISE = "(SELECT MAX(x.id) FROM sales_promise x WHERE x.deal_id = {deal})"

HOURS_NOT_OF_LATEST_PROMISE = f"""
SELECT r.id, r.promise_id, pj.deal_id, pj.status
FROM sales_capacityreservation r
JOIN delivery_project pj ON pj.id = r.project_id
JOIN sales_promise pr ON pr.id = r.promise_id
WHERE pj.deal_id IS NULL OR pr.deal_id <> pj.deal_id
   OR r.promise_id <> {LATEST_PROMISE.format(deal="pj.deal_id")}
   OR pj.status NOT IN ('committed', 'in_delivery')
"""

UNITS_NOT_OF_LATEST_PROMISE = f"""
SELECT s.id, s.promise_id, s.deal_id
FROM catalog_stockreservation s
JOIN sales_promise pr ON pr.id = s.promise_id
WHERE s.deal_id IS NULL OR pr.deal_id <> s.deal_id
   OR s.promise_id <> {LATEST_PROMISE.format(deal="s.deal_id")}
"""

PROMISED_DEAL_STAGE = """
SELECT DISTINCT d.id, d.stage
FROM sales_deal d JOIN sales_promise pr ON pr.deal_id = d.id
WHERE d.stage NOT IN ('won', 'lost')
"""

UNITS_SHORT_OF_LINES = """
SELECT d.id, dl.product_id, dl.quantity, COALESCE(s.quantity, 0)
FROM sales_deal d
JOIN (SELECT deal_id, product_id, SUM(quantity) AS quantity FROM sales_dealline
      WHERE product_id IS NOT NULL GROUP BY deal_id, product_id) dl ON dl.deal_id = d.id
LEFT JOIN (SELECT deal_id, product_id, SUM(quantity) AS quantity FROM catalog_stockreservation
           WHERE promise_id IS NOT NULL GROUP BY deal_id, product_id) s
       ON s.deal_id = d.id AND s.product_id = dl.product_id
WHERE d.stage = 'won' AND EXISTS (SELECT 1 FROM sales_promise pr WHERE pr.deal_id = d.id)
  AND dl.quantity <> COALESCE(s.quantity, 0)
"""

WORK_WITHOUT_HOURS = """
SELECT d.id, pj.id, pj.status
FROM sales_deal d
LEFT JOIN delivery_project pj ON pj.deal_id = d.id
WHERE d.stage = 'won' AND EXISTS (SELECT 1 FROM sales_promise pr WHERE pr.deal_id = d.id)
  AND EXISTS (SELECT 1 FROM sales_dealline dl WHERE dl.deal_id = d.id
              AND dl.offering_id IS NOT NULL)
  AND (pj.id IS NULL
       OR (pj.status IN ('committed', 'in_delivery')
           AND NOT EXISTS (SELECT 1 FROM sales_capacityreservation r
                           WHERE r.project_id = pj.id)
           -- a project whose every phase is done has given its hours back
           AND EXISTS (SELECT 1 FROM delivery_projectphase ph
                       WHERE ph.project_id = pj.id AND ph.state <> 'done')))
"""

HELD_FOR_LOST_DEAL = """
SELECT d.id, 'hours' FROM sales_deal d
JOIN delivery_project pj ON pj.deal_id = d.id
JOIN sales_capacityreservation r ON r.project_id = pj.id
WHERE d.stage = 'lost'
UNION
SELECT d.id, 'units' FROM sales_deal d
JOIN catalog_stockreservation s ON s.deal_id = d.id
WHERE d.stage = 'lost' AND s.promise_id IS NOT NULL
"""


def _vendor_sql(connection: Any) -> dict[str, str]:
    """The few expressions the two databases spell differently."""
    if connection.vendor == "postgresql":
        return {"weekday": "CAST(EXTRACT(DOW FROM l.day) AS INTEGER)", "today": "CURRENT_DATE"}
    return {"weekday": "CAST(strftime('%w', l.day) AS INTEGER)", "today": "date('now')"}


def _checks(connection: Any) -> list[tuple[str, str]]:
    vendor = _vendor_sql(connection)
    hours = WEEKDAY_HOURS.format(weekday=vendor["weekday"])
    due = STOCK_DUE.format(today=vendor["today"])
    return [
        ("load is not the sum of its reservations", LOAD_SUMS),
        ("booked person-day without a load", BOOKED_WITHOUT_LOAD),
        ("regular minutes over capacity", REGULAR_OVER_CAPACITY),
        ("regular minutes over the contract", REGULAR_OVER_CONTRACT.format(hours=hours)),
        ("overtime over its allowance", OVERTIME_OVER_ALLOWANCE),
        ("overtime over the approved share", OVERTIME_OVER_SHARE),
        ("units due over stock and supply by then", STOCK_OVER_SUPPLY.format(due=due)),
        ("promised units not the sum of reservations", AVAILABILITY_SUMS),
        ("hours not held by the deal's latest promise", HOURS_NOT_OF_LATEST_PROMISE),
        ("units not held by the deal's latest promise", UNITS_NOT_OF_LATEST_PROMISE),
        ("promised deal neither won nor lost", PROMISED_DEAL_STAGE),
        ("won deal short of its promised units", UNITS_SHORT_OF_LINES),
        ("won deal's work without reserved hours", WORK_WITHOUT_HOURS),
        ("cancelled deal still holds", HELD_FOR_LOST_DEAL),
    ]


def capacity_violations(connection: Any) -> list[str]:
    """Every broken capacity invariant, one line per offending row ([] when all hold)."""
    found = []
    with connection.cursor() as cursor:
        for name, sql in _checks(connection):
            cursor.execute(sql)
            found.extend(f"{name}: {tuple(row)}" for row in cursor.fetchall())
    return found
