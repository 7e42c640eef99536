from django.contrib import admin
from django.http import HttpRequest

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopDependency,
    SopPhase,
    SopPhaseCrew,
    SopVersion,
    StockReservation,
)
from promisekeeper.catalog.selectors import sop_version_is_used
from promisekeeper.organisation.admin import ActorIsTheUser, ReadOnlyAdmin


class UsedSopReadOnly:
    """A SOP version a project was planned with is history: view it, copy it, never edit it."""

    def _locked(self, obj: object | None) -> bool:
        # obj is the version, one of its phases, or (for inlines) the parent of either.
        sop = obj if isinstance(obj, SopVersion) else getattr(obj, "sop_version", None)
        return sop is not None and sop_version_is_used(sop_version=sop)

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class UsedSopReadOnlyInline(UsedSopReadOnly):
    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]
    search_fields = ["name"]


class SopPhaseInline(UsedSopReadOnlyInline, admin.TabularInline):
    model = SopPhase
    extra = 0
    fields = ["order", "key", "name", "kind", "role", "effort_low", "effort_likely", "effort_high"]


@admin.register(SopVersion)
class SopVersionAdmin(UsedSopReadOnly, ActorIsTheUser):
    list_display = ["offering", "version", "created_at", "created_by"]
    list_filter = ["offering"]
    inlines = [SopPhaseInline]


class SopPhaseCrewInline(UsedSopReadOnlyInline, admin.TabularInline):
    model = SopPhaseCrew
    extra = 0


class SopDependencyInline(UsedSopReadOnlyInline, admin.TabularInline):
    model = SopDependency
    fk_name = "phase"
    extra = 0


@admin.register(SopPhase)
class SopPhaseAdmin(UsedSopReadOnly, admin.ModelAdmin):
    list_display = ["sop_version", "order", "key", "name", "kind", "role"]
    list_filter = ["kind", "role"]
    inlines = [SopPhaseCrewInline, SopDependencyInline]


@admin.register(SopPhaseCrew)
class SopPhaseCrewAdmin(admin.ModelAdmin):
    list_display = ["phase", "role", "count"]


@admin.register(SopDependency)
class SopDependencyAdmin(admin.ModelAdmin):
    list_display = ["phase", "predecessor", "lag_days"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "stock_on_hand"]
    search_fields = ["sku", "name"]


@admin.register(IncomingSupply)
class IncomingSupplyAdmin(admin.ModelAdmin):
    list_display = ["product", "date", "quantity"]


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyAdmin):
    """Units reserved by a commit (under the product lock), never by hand."""

    list_display = ["product", "deal", "promise", "quantity", "created_at"]
    raw_id_fields = ["deal", "promise"]
