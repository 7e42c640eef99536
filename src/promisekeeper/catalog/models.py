"""What the business sells: offerings delivered by a versioned SOP, and stocked products."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from promisekeeper.people.models import Role


class Offering(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SopVersion(models.Model):
    """One version of how an offering is delivered; immutable once a project uses it."""

    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="sop_versions")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    checkin_cadence_days = models.PositiveIntegerField(default=7)
    checkin_channels = models.CharField(max_length=200, blank=True, help_text="e.g. email, call")
    internal_checkin_cadence_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Days between the sales–operations check-ins of a project; blank: one on "
        "the working day before each customer check-in.",
    )
    deliverables = models.TextField(blank=True)
    handoff = models.TextField(blank=True)
    communication_channels = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["offering", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "version"], name="sop_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="sop_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.offering} v{self.version}"


class EffortRange(NamedTuple):
    """A phase's hours at low, likely and high."""

    low: Decimal
    likely: Decimal
    high: Decimal


class SopPhase(models.Model):
    """A step of an SOP: either effort (hours of a role) or fixed (days with a crew)."""

    class Kind(models.TextChoices):
        EFFORT = "effort", "Effort (hours of a role)"
        FIXED = "fixed", "Fixed (days with a crew)"

    sop_version = models.ForeignKey(SopVersion, on_delete=models.CASCADE, related_name="phases")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.EFFORT)
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="sop_phases"
    )
    effort_low = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    effort_likely = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    effort_high = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    effort_per_unit_low = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    effort_per_unit_likely = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    effort_per_unit_high = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    max_people = models.PositiveIntegerField(default=1)
    max_hours_per_day = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, help_text="Per person; empty = any."
    )
    fixed_days = models.PositiveIntegerField(default=0)
    hours_per_day = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal(8), help_text="Per crew member (fixed)."
    )

    class Meta:
        ordering = ["sop_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["sop_version", "key"], name="sop_phase_unique_key"),
            models.CheckConstraint(
                condition=Q(effort_low__gte=0)
                & Q(effort_likely__gte=F("effort_low"))
                & Q(effort_high__gte=F("effort_likely")),
                name="sop_phase_effort_ordered",
            ),
            models.CheckConstraint(
                condition=Q(effort_per_unit_low__gte=0)
                & Q(effort_per_unit_likely__gte=F("effort_per_unit_low"))
                & Q(effort_per_unit_high__gte=F("effort_per_unit_likely")),
                name="sop_phase_effort_per_unit_ordered",
            ),
            models.CheckConstraint(condition=Q(max_people__gte=1), name="sop_phase_max_people"),
            models.CheckConstraint(
                condition=~Q(kind="effort") | Q(role__isnull=False),
                name="sop_phase_effort_needs_role",
            ),
            models.CheckConstraint(
                condition=~Q(kind="fixed") | Q(fixed_days__gte=1),
                name="sop_phase_fixed_needs_days",
            ),
            models.CheckConstraint(
                condition=Q(hours_per_day__gt=0, hours_per_day__lte=24),
                name="sop_phase_hours_per_day_range",
            ),
            models.CheckConstraint(
                condition=Q(max_hours_per_day__isnull=True)
                | Q(max_hours_per_day__gt=0, max_hours_per_day__lte=24),
                name="sop_phase_max_hours_per_day_range",
            ),
        ]

    def effort_for(self, quantity: int | Decimal) -> EffortRange:
        """Hours of this phase for ``quantity`` units: its fixed effort plus its per-unit
        effort times the quantity, at low, likely and high (the one place this is worked out)."""
        units = Decimal(quantity)
        return EffortRange(
            low=self.effort_low + self.effort_per_unit_low * units,
            likely=self.effort_likely + self.effort_per_unit_likely * units,
            high=self.effort_high + self.effort_per_unit_high * units,
        )

    def __str__(self) -> str:
        return f"{self.sop_version}: {self.name}"


class SopPhaseCrew(models.Model):
    """For a fixed phase: how many people of a role must be there every day."""

    phase = models.ForeignKey(SopPhase, on_delete=models.CASCADE, related_name="crew")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phase", "role"], name="sop_crew_unique_role"),
            models.CheckConstraint(condition=Q(count__gte=1), name="sop_crew_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.role}"


class SopDependency(models.Model):
    """`phase` may start `lag_days` after `predecessor` finishes."""

    phase = models.ForeignKey(SopPhase, on_delete=models.CASCADE, related_name="predecessors")
    predecessor = models.ForeignKey(SopPhase, on_delete=models.CASCADE, related_name="successors")
    lag_days = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "SOP dependencies"
        constraints = [
            models.UniqueConstraint(fields=["phase", "predecessor"], name="sop_dependency_unique"),
            models.CheckConstraint(
                condition=~Q(phase=F("predecessor")), name="sop_dependency_not_self"
            ),
            models.CheckConstraint(condition=Q(lag_days__gte=0), name="sop_dependency_lag"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor.key} → {self.phase.key} (+{self.lag_days}d)"


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    stock_on_hand = models.IntegerField(default=0)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_on_hand__gte=0), name="product_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class IncomingSupply(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="incoming")
    date = models.DateField()
    quantity = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "incoming supplies"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="supply_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku} on {self.date}"


class StockReservation(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservations")
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="reservations"
    )
    promise = models.ForeignKey(
        "sales.Promise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reservations",
    )
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="reservation_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(deal__isnull=False) | Q(promise__isnull=False),
                name="reservation_for_deal_or_promise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.sku}"
