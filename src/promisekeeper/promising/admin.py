"""The product admin with the promises behind its stock: a stock cut that leaves promised
units missing lists those promises and saves only once confirmed, through
``capacity_stock.product_stock_set`` (which flags them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from promisekeeper.catalog import admin as catalog_admin
from promisekeeper.catalog.models import Product
from promisekeeper.promising.capacity_stock import product_stock_set, stock_cut_preview


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


admin.site.unregister(Product)
admin.site.register(Product, ProductAdmin)
