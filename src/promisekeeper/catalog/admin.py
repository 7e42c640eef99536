from django.contrib import admin

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


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]
    search_fields = ["name"]


class SopPhaseInline(admin.TabularInline):
    model = SopPhase
    extra = 0
    fields = ["order", "key", "name", "kind", "role", "effort_low", "effort_likely", "effort_high"]


@admin.register(SopVersion)
class SopVersionAdmin(admin.ModelAdmin):
    list_display = ["offering", "version", "created_at", "created_by"]
    list_filter = ["offering"]
    inlines = [SopPhaseInline]


class SopPhaseCrewInline(admin.TabularInline):
    model = SopPhaseCrew
    extra = 0


class SopDependencyInline(admin.TabularInline):
    model = SopDependency
    fk_name = "phase"
    extra = 0


@admin.register(SopPhase)
class SopPhaseAdmin(admin.ModelAdmin):
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
class StockReservationAdmin(admin.ModelAdmin):
    list_display = ["product", "deal", "promise", "quantity", "created_at"]
    raw_id_fields = ["deal", "promise"]
