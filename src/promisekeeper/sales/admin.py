from django.contrib import admin

from promisekeeper.organisation.admin import ReadOnlyAdmin
from promisekeeper.sales.models import (
    AuditEvent,
    CapacityReservation,
    Customer,
    CustomerNotice,
    Deal,
    DealLine,
    ExceptionRequest,
    Hold,
    Notification,
    NotificationDigest,
    PersonDayLoad,
    ProductAvailability,
    Promise,
    RedateRequest,
    ReservationChange,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name", "email"]


class DealLineInline(admin.TabularInline):
    model = DealLine
    extra = 0


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "stage", "wanted_date", "win_probability", "owner"]
    list_filter = ["stage"]
    search_fields = ["name", "customer__name"]
    raw_id_fields = ["customer"]
    inlines = [DealLineInline]


@admin.register(DealLine)
class DealLineAdmin(admin.ModelAdmin):
    list_display = ["deal", "offering", "product", "quantity"]
    raw_id_fields = ["deal"]


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdmin):
    """Made only by a commit (capacity checked under the lock), never by hand."""

    list_display = ["deal", "promised_date", "confidence", "created_by", "created_at"]
    raw_id_fields = ["deal", "approval"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Written by the services with the signed-in user as actor; append-only."""

    list_display = ["created_at", "action", "actor", "deal"]
    list_filter = ["action"]
    raw_id_fields = ["deal"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    """Placed and released by the hold service, which checks capacity and the seller."""

    list_display = ["deal", "expires_at", "active", "created_by"]
    list_filter = ["active"]
    raw_id_fields = ["deal"]


@admin.register(ExceptionRequest)
class ExceptionRequestAdmin(ReadOnlyAdmin):
    """Asked by the deal's seller and decided in the exception inbox by operations (never by
    the one who asked); a decision by hand here would skip both rules."""

    list_display = ["deal", "requested_date", "status", "requested_by", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["deal"]


@admin.register(RedateRequest)
class RedateRequestAdmin(ReadOnlyAdmin):
    """Proposed on the deal page and decided there by operations; the applied date is a new
    promise, which only the re-date service writes."""

    list_display = ["deal", "requested_date", "reason_code", "status", "requested_by"]
    list_filter = ["status", "reason_code"]
    raw_id_fields = ["deal"]


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(ReadOnlyAdmin):
    """What the customer was told when their promise changed, kept as it was written."""

    list_display = ["deal", "kind", "subject", "created_at"]
    list_filter = ["kind"]
    exclude = ["sheet_pdf"]
    raw_id_fields = ["deal"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "text", "read"]
    list_filter = ["read"]
    raw_id_fields = ["user", "deal"]


@admin.register(CapacityReservation)
class CapacityReservationAdmin(ReadOnlyAdmin):
    """Written only by promise_commit, together with PersonDayLoad: never edited by hand."""

    list_display = ["day", "person", "minutes", "overtime_minutes", "project", "phase_key"]
    raw_id_fields = ["promise", "project", "person"]


@admin.register(ReservationChange)
class ReservationChangeAdmin(ReadOnlyAdmin):
    """The journal other processes replay onto their snapshot; written with each commit."""

    list_display = ["version", "project", "deal", "replaced", "created_at"]
    raw_id_fields = ["project", "deal"]


@admin.register(PersonDayLoad)
class PersonDayLoadAdmin(ReadOnlyAdmin):
    """Reserved minutes per person-day, with the overtime booked and the overtime allowed."""

    list_display = [
        "day",
        "person",
        "reserved_minutes",
        "capacity_minutes",
        "overtime_minutes",
        "overtime_allowed_minutes",
    ]
    raw_id_fields = ["person"]


@admin.register(ProductAvailability)
class ProductAvailabilityAdmin(ReadOnlyAdmin):
    list_display = ["product", "reserved_quantity", "supply_quantity"]
    raw_id_fields = ["product"]


@admin.register(NotificationDigest)
class NotificationDigestAdmin(ReadOnlyAdmin):
    """Who asked for the daily digest and when it was last sent (set on their own page)."""
