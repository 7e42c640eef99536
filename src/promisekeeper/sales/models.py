"""Customers, deals and the promises made on them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from promisekeeper.catalog.models import Offering, Product
from promisekeeper.organisation.models import QuoteConfidence
from promisekeeper.sales.units import hours_display


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    class Stage(models.TextChoices):
        LEAD = "lead", "Lead"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        HELD = "held", "Held"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="deals")
    name = models.CharField(max_length=200)
    wanted_date = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.LEAD)
    win_probability = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.20"))
    # The quote form that drafted this deal for a customer-only quote: a resubmitted form
    # (a double click, a retried commit) finds this deal instead of drafting another.
    draft_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(win_probability__gte=0, win_probability__lte=1),
                name="deal_win_probability_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"


class DealLine(models.Model):
    """One thing on a deal: an offering (delivered by its SOP) or a stocked product."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    offering = models.ForeignKey(
        Offering, null=True, blank=True, on_delete=models.PROTECT, related_name="deal_lines"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="deal_lines"
    )
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="deal_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(offering__isnull=False, product__isnull=True)
                | Q(offering__isnull=True, product__isnull=False),
                name="deal_line_offering_xor_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.offering or self.product}"


class ExceptionRequest(models.Model):
    """Sales asks operations for a date the engine would not promise."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        PROPOSED = "proposed", "Other date proposed"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="exception_requests")
    requested_date = models.DateField()
    scope_note = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField(blank=True)
    proposed_date = models.DateField(null=True, blank=True)
    overtime_share = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    allow_reshuffle = models.BooleanField(default=False)
    beyond_capacity = models.BooleanField(
        default=False,
        help_text="Operations agreed to promise the date although the plan, with what they "
        "approved applied, does not reach it: the promise then says so and has no confidence.",
    )
    scope_lines = models.JSONField(
        default=list,
        blank=True,
        help_text="The deal's lines when the request was made, as [offering id, product id, "
        "quantity] rows in canonical order: the approval covers exactly these.",
    )
    used_at = models.DateTimeField(
        null=True, blank=True, help_text="When a promise used the approval (it is used once)."
    )
    impact = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="exception_decided_has_decider",
            ),
            models.CheckConstraint(
                condition=Q(overtime_share__isnull=True)
                | Q(overtime_share__gt=0, overtime_share__lte=1),
                name="exception_overtime_share_0_1",
            ),
            models.CheckConstraint(
                condition=~Q(status="proposed") | Q(proposed_date__isnull=False),
                name="exception_proposal_has_date",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(status="approved"),
                name="exception_used_only_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(beyond_capacity=False) | Q(status="approved"),
                name="exception_beyond_capacity_only_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"Exception for {self.deal} on {self.requested_date} ({self.status})"


class Promise(models.Model):
    """An immutable record of a date promised to a customer and the evidence behind it.

    Database triggers (migration 0003) reject UPDATE and DELETE of promise rows.
    """

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="promises")
    promised_date = models.DateField()
    # None for a promise beyond capacity: the plan does not reach its date, so no
    # confidence level stands behind it.
    confidence = models.CharField(
        max_length=3, choices=QuoteConfidence.choices, null=True, blank=True
    )
    beyond_capacity = models.BooleanField(
        default=False,
        help_text="Made on an operations approval beyond capacity: the planned work ends "
        "after the promised date.",
    )
    p50_date = models.DateField(null=True, blank=True)
    p80_date = models.DateField(null=True, blank=True)
    p95_date = models.DateField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approval = models.ForeignKey(
        ExceptionRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="promises"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(p50_date__isnull=True)
                | Q(p80_date__isnull=True)
                | Q(p50_date__lte=models.F("p80_date")),
                name="promise_p50_before_p80",
            ),
            models.CheckConstraint(
                condition=Q(p80_date__isnull=True)
                | Q(p95_date__isnull=True)
                | Q(p80_date__lte=models.F("p95_date")),
                name="promise_p80_before_p95",
            ),
            models.CheckConstraint(
                condition=Q(beyond_capacity=False, confidence__isnull=False)
                | Q(beyond_capacity=True, confidence__isnull=True),
                name="promise_confidence_unless_beyond_capacity",
            ),
            models.UniqueConstraint(
                fields=["approval"],
                condition=Q(approval__isnull=False),
                name="promise_approval_used_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal}: {self.promised_date}"


class RedateRequest(models.Model):
    """A new date proposed for a promise and why. A move caused by us waits for operations'
    approval; applying it makes a new promise (``promise``), and the first promise of the
    deal keeps the original date."""

    class Reason(models.TextChoices):
        CUSTOMER_CHANGE = "customer_change", "Customer change"
        SCOPE_CHANGE = "scope_change", "Scope change"
        OUR_CAPACITY = "our_capacity", "Our capacity"
        DEPENDENCY = "dependency", "Dependency"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for operations"
        APPLIED = "applied", "Applied"
        DECLINED = "declined", "Declined"

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="redate_requests")
    previous_promise = models.ForeignKey(Promise, on_delete=models.PROTECT, related_name="+")
    requested_date = models.DateField()
    reason_code = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True)
    needs_approval = models.BooleanField(default=False)
    beyond_capacity = models.BooleanField(
        default=False,
        help_text="The plan cannot make the date: the seller asks operations to promise it "
        "beyond capacity.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    promise = models.OneToOneField(
        Promise,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redate_request",
        help_text="The promise the applied request made.",
    )
    exception = models.OneToOneField(
        ExceptionRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redate_request",
        help_text="The approval beyond capacity operations gave the re-date.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="applied") | Q(promise__isnull=False),
                name="redate_applied_has_promise",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | Q(decided_by__isnull=False),
                name="redate_declined_has_decider",
            ),
            models.CheckConstraint(
                condition=Q(needs_approval=False)
                | Q(status="requested")
                | Q(decided_by__isnull=False),
                name="redate_approval_has_decider",
            ),
            models.CheckConstraint(
                condition=Q(beyond_capacity=False) | Q(needs_approval=True),
                name="redate_beyond_capacity_needs_approval",
            ),
            models.UniqueConstraint(
                fields=["deal"],
                condition=Q(status="requested"),
                name="redate_one_waiting_per_deal",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-date of {self.deal} to {self.requested_date} ({self.status})"


class CustomerNotice(models.Model):
    """What the customer is told when a promise changes: the e-mail text and, for a new
    date, the promise sheet of the new promise as it was then (kept, never rebuilt)."""

    class Kind(models.TextChoices):
        REDATE = "redate", "New date"
        CANCEL = "cancel", "Cancellation"

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="customer_notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    promise = models.ForeignKey(
        Promise, null=True, blank=True, on_delete=models.PROTECT, related_name="customer_notices"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sheet_pdf = models.BinaryField(blank=True, default=b"")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="redate") | Q(promise__isnull=False),
                name="customer_notice_redate_has_promise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} notice for {self.deal}"


class Hold(models.Model):
    """Capacity tentatively kept for a deal until it expires."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="holds")
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal"], condition=Q(active=True), name="hold_one_active_per_deal"
            ),
        ]

    def __str__(self) -> str:
        return f"Hold on {self.deal} until {self.expires_at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """Append-only log of who did what: database triggers (migration 0003) reject UPDATE/DELETE.

    Foreign keys PROTECT rather than SET NULL, since nulling them would be an UPDATE.
    """

    class Action(models.TextChoices):
        DEAL_CREATED = "deal.created", "Deal created"
        DEAL_DRAFTED = "deal.drafted", "Deal drafted from a quote"
        DEAL_LINES_SET = "deal.lines_set", "Deal lines changed"
        HOLD_PLACED = "hold.placed", "Capacity held"
        HOLD_EXPIRED = "hold.expired", "Hold expired"
        PROMISE_COMMITTED = "promise.committed", "Promise made"
        PROMISE_DATE_CHANGED = "promise.date_changed", "Promise re-dated"
        PROMISE_CANCELLED = "promise.cancelled", "Promise cancelled"
        REDATE_REQUESTED = "redate.requested", "New date proposed, waiting for operations"
        REDATE_APPROVED = "redate.approved", "New date approved by operations"
        REDATE_DECLINED = "redate.declined", "New date declined by operations"
        CUSTOMER_NOTICE_CREATED = "notice.created", "Customer notice written"
        PROMISE_REPLANNED = "promise.replanned", "Promise re-planned after a capacity cut"
        PROMISE_STOCK_SHORT = "promise.stock_short", "Promised units no longer in stock"
        EXCEPTION_REQUESTED = "exception.requested", "Exception requested"
        EXCEPTION_APPROVED = "exception.approved", "Exception approved"
        EXCEPTION_PROPOSED = "exception.proposed", "Another date proposed"
        EXCEPTION_DECLINED = "exception.declined", "Exception declined"
        ADMIN_ADDED = "admin.added", "Added in the admin"
        ADMIN_CHANGED = "admin.changed", "Changed in the admin"
        ADMIN_DELETED = "admin.deleted", "Deleted in the admin"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100, choices=Action.choices)
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Notification(models.Model):
    """Something a user should see (a decided exception, a hold about to expire)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.text[:40]}"


class NotificationDigest(models.Model):
    """A user's choice of one e-mail a day listing their unread notifications, and the last
    day one was sent (so a job run twice on a day sends it once)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digest"
    )
    daily = models.BooleanField(default=False)
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {'daily' if self.daily else 'no'} digest"


class CapacityReservation(models.Model):
    """Time of one person on one day booked for a promised project's phase, in whole minutes.

    The committed plan is rebuilt from these rows, so a promise keeps the time it was
    checked against; their sum per person-day lives in PersonDayLoad (the backstop).
    """

    promise = models.ForeignKey(
        Promise, on_delete=models.PROTECT, related_name="capacity_reservations"
    )
    project = models.ForeignKey(
        "delivery.Project", on_delete=models.PROTECT, related_name="capacity_reservations"
    )
    phase_key = models.CharField(max_length=50)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="capacity_reservations"
    )
    day = models.DateField()
    minutes = models.PositiveIntegerField(help_text="Booked time in whole minutes.")
    overtime_minutes = models.PositiveIntegerField(
        default=0,
        help_text="Of ``minutes``, those beyond the person's regular time, granted by the "
        "operations approval of the promise's exception.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0), name="capacity_reservation_minutes_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(overtime_minutes__gte=0, overtime_minutes__lte=models.F("minutes")),
                name="capacity_reservation_overtime_within_minutes",
            ),
            models.UniqueConstraint(
                fields=["project", "phase_key", "person", "day"],
                name="capacity_reservation_unique",
            ),
        ]
        indexes = [models.Index(fields=["person", "day"], name="capacity_res_person_day")]

    def __str__(self) -> str:
        return f"{hours_display(self.minutes)} h of {self.person} on {self.day}"


class PersonDayLoad(models.Model):
    """Reserved minutes per person-day; the CHECKs make over-commitment impossible in the database.

    Reserved time may exceed the regular capacity only by overtime an operations approval
    granted (``overtime_minutes``), which the commit that uses it adds and a release takes
    off; and that overtime never exceeds ``overtime_allowed_minutes``, the largest approved
    share × capacity of the commits that booked overtime here. All in whole minutes, so the
    load is exactly the sum of its reservations on every database.

    Rows are created with the person's capacity that day and only ever incremented or
    decremented with F() expressions, in (person, day) order.
    """

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="day_loads")
    day = models.DateField()
    capacity_minutes = models.IntegerField()
    reserved_minutes = models.IntegerField(default=0)
    overtime_minutes = models.IntegerField(
        default=0,
        help_text="Approved overtime booked on this day (exceptions), on top of the regular "
        "capacity.",
    )
    overtime_allowed_minutes = models.IntegerField(
        default=0,
        help_text="The most overtime this day may carry: approved share × capacity, set by "
        "the commits that booked overtime here.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="person_day_load_unique"),
            models.CheckConstraint(
                condition=Q(capacity_minutes__gte=0), name="person_day_capacity_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved_minutes__gte=0), name="person_day_reserved_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(overtime_minutes__gte=0), name="person_day_overtime_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(
                    reserved_minutes__lte=models.F("capacity_minutes")
                    + models.F("overtime_minutes")
                ),
                name="person_day_reserved_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(overtime_minutes__lte=models.F("overtime_allowed_minutes")),
                name="person_day_overtime_within_allowance",
            ),
        ]

    def __str__(self) -> str:
        reserved = hours_display(self.reserved_minutes)
        return f"{self.person} {self.day}: {reserved}/{hours_display(self.capacity_minutes)} h"


class ProductAvailability(models.Model):
    """Promised units of a product against its supply (on hand + incoming); CHECK keeps it >= 0."""

    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="availability")
    supply_quantity = models.IntegerField(default=0)
    reserved_quantity = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "product availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0), name="product_reserved_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=models.F("supply_quantity")),
                name="product_reserved_within_supply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.reserved_quantity}/{self.supply_quantity}"


class ReservationChange(models.Model):
    """The ledger versions one project's reservations were written at (commit, re-date), or
    a hold was placed or ended at.

    Every write to a table the plan reads bumps the ledger (database triggers), so one commit
    moves it from ``first_version - 1`` to ``version``. Other processes replay these onto the
    snapshot they have instead of re-planning the whole portfolio: when the versions since
    theirs are exactly covered by rows here, the change is exactly "this project now holds
    these reservations" (and ``replaced`` no longer plans).
    """

    class Kind(models.TextChoices):
        BOOKING = "booking", "booking (commit or re-date)"
        HOLD_PLACED = "hold_placed", "hold placed"
        HOLDS_ENDED = "holds_ended", "holds expired or released"
        PLAN_UNCHANGED = "plan_unchanged", "no change to the plan"

    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.BOOKING,
        help_text="What a replay does: pin the project's hours, plan a deal as held, plan "
        "held deals as tentative again, or nothing (the writes change no plan).",
    )
    first_version = models.BigIntegerField(
        help_text="The first ledger version the commit's writes reached (the locked one + 1)."
    )
    version = models.BigIntegerField(
        unique=True, help_text="The last ledger version the commit's writes reached."
    )
    project = models.ForeignKey(
        "delivery.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reservation_changes",
        help_text="Empty for a promise of products only: stock is read live, the plan is unchanged.",
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="reservation_changes"
    )
    replaced = models.CharField(max_length=50, blank=True)
    payload = models.JSONField(
        default=dict,
        blank=True,
        help_text="The engine project and its booked hours (person, date, phase, hours), so "
        "a replay reads this row only.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gt=0), name="reservation_change_version_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(first_version__gt=0, first_version__lte=models.F("version")),
                name="reservation_change_versions_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}: project {self.project_id}"
