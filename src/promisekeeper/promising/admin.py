"""Admin pages for capacity that promises stand on. A stock cut that leaves promised units
missing lists those promises and saves only once confirmed, through
``capacity_stock.product_stock_set`` (which flags them); time off over reserved hours lists
what moves and what breaks, and saves through ``capacity_cuts.time_off_save``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from promisekeeper.catalog import admin as catalog_admin
from promisekeeper.catalog.models import Product
from promisekeeper.people import admin as people_admin
from promisekeeper.people.models import TimeOff
from promisekeeper.people.services import time_off_build
from promisekeeper.promising.capacity_cuts import time_off_cut_preview, time_off_save
from promisekeeper.promising.capacity_stock import product_stock_set, stock_cut_preview

TIME_OFF_FIELDS = ("start_date", "end_date", "kind", "status", "hours_per_day")


class ProductForm(forms.ModelForm):
    confirm = forms.BooleanField(
        required=False,
        label="Confirm the promises this stock leaves short",
        help_text="Needed when the new stock no longer covers units already promised.",
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "stock_on_hand"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        stock = cleaned.get("stock_on_hand")
        if self.instance.pk is None or stock is None or cleaned.get("confirm"):
            return cleaned
        saved = Product.objects.get(pk=self.instance.pk)
        short = stock_cut_preview(product=saved, stock_on_hand=stock)
        if short:
            listed = "; ".join(
                f"{s.deal_name}: {s.short} of {s.quantity} missing on {s.promised:%Y-%m-%d}"
                for s in short
            )
            self.add_error(
                "confirm",
                f"This stock leaves promised units missing ({listed}). Tick confirm to save: "
                "the owners and operations are told at once.",
            )
        return cleaned


class ProductAdmin(catalog_admin.ProductAdmin):
    form = ProductForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change or "stock_on_hand" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        stock = obj.stock_on_hand
        obj.stock_on_hand = form.initial["stock_on_hand"]
        super().save_model(request, obj, form, change)
        product_stock_set(user=request.user, product=obj, stock_on_hand=stock, confirmed=True)


class TimeOffForm(forms.ModelForm):
    confirm = forms.BooleanField(
        required=False,
        label="Confirm the promises this time off moves",
        help_text="Needed when it takes away hours reserved for promises.",
    )

    class Meta:
        model = TimeOff
        fields = ["person", *TIME_OFF_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person = cleaned.get("person") or getattr(self.instance, "person", None)
        if self.errors or person is None or cleaned.get("confirm"):
            return cleaned
        fields: dict[str, Any] = {name: cleaned.get(name) for name in TIME_OFF_FIELDS}
        saved = TimeOff.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        cut = time_off_cut_preview(time_off=time_off_build(person=person, **fields), replaces=saved)
        if cut:
            listed = "; ".join(
                f"{c.name}: {c.displaced_hours:g} h move, "
                + ("kept" if c.kept else "the promise cannot be kept")
                for c in cut
            )
            self.add_error(
                "confirm",
                f"This time off takes reserved hours away ({listed}). Tick confirm to save: "
                "the work is placed again and broken promises are told to owners and operations.",
            )
        return cleaned


class TimeOffAdmin(people_admin.TimeOffAdmin):
    form = TimeOffForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A change keeps its person (the service changes dates and kind, not whose it is).
        return ["person"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = time_off_save(
            user=request.user,
            person=obj.person,
            fields={name: getattr(obj, name) for name in TIME_OFF_FIELDS},
            editing=TimeOff.objects.get(pk=obj.pk) if change else None,
            confirmed=True,
        )
        obj.pk = saved.time_off.pk


admin.site.unregister(Product)
admin.site.register(Product, ProductAdmin)
admin.site.unregister(TimeOff)
admin.site.register(TimeOff, TimeOffAdmin)
