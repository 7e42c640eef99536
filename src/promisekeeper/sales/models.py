"""Customers, deals and the promises made on them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from promisekeeper.catalog.models import Offering, Product
from promisekeeper.organisation.models import QuoteConfidence


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
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="exception_decided_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"Exception for {self.deal} on {self.requested_date} ({self.status})"


class Promise(models.Model):
    """An immutable record of a date promised to a customer and the evidence behind it."""

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="promises")
    promised_date = models.DateField()
    confidence = models.CharField(max_length=3, choices=QuoteConfidence.choices)
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
        ]

    def __str__(self) -> str:
        return f"{self.deal}: {self.promised_date}"


class Hold(models.Model):
    """Capacity tentatively kept for a deal until it expires."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="holds")
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

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
    """Append-only log of who did what; never updated or deleted by the application."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100)
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
