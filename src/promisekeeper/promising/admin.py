"""Admin pages for capacity that promises stand on. A stock cut that leaves promised units
missing lists those promises and saves only once confirmed, through
``capacity_stock.product_stock_set`` (which flags them). Time off, a person's hours, share or
dates, and company closures that take reserved hours away list what moves and what breaks,
and save only once confirmed, through ``capacity_cuts`` (which places the work again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import construct_instance
from django.http import HttpRequest

from promisekeeper.catalog import admin as catalog_admin
from promisekeeper.catalog.models import IncomingSupply, Product
from promisekeeper.organisation import admin as organisation_admin
from promisekeeper.organisation.models import CompanyClosure
from promisekeeper.people import admin as people_admin
from promisekeeper.people.models import Person, Role, Skill, TimeOff
from promisekeeper.people.services import time_off_build
from promisekeeper.promising.capacity_cuts import (
    CutConsequence,
    capacity_change_save,
    closure_cut_preview,
    person_cut_preview,
    promised_in_role,
    time_off_cut_preview,
    time_off_save,
)
from promisekeeper.promising.capacity_stock import (
    ShortPromise,
    Supply,
    product_stock_set,
    stock_cut_preview,
    supply_change_save,
    supply_cut_preview,
)

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


def _short_listed(short: list[ShortPromise]) -> str:
    return "; ".join(
        f"{s.deal_name}: {s.short} of {s.quantity} missing on {s.promised:%Y-%m-%d}" for s in short
    )


def _supply_without(row: IncomingSupply) -> Supply:
    """The product's incoming supply without ``row`` (as saved)."""
    return list(
        IncomingSupply.objects.filter(product_id=row.product_id)
        .exclude(pk=row.pk)
        .values_list("date", "quantity")
    )


class IncomingSupplyForm(forms.ModelForm):
    confirm = forms.BooleanField(
        required=False,
        label="Confirm the promises this supply change leaves short",
        help_text="Needed when less or later supply no longer covers units already promised.",
    )

    class Meta:
        model = IncomingSupply
        fields = ["product", "date", "quantity"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk is None or cleaned.get("confirm"):
            return cleaned  # new supply only adds units
        saved = IncomingSupply.objects.get(pk=self.instance.pk)
        after = [*_supply_without(saved), (cleaned["date"], cleaned["quantity"])]
        short = supply_cut_preview(product=saved.product, incoming=after)
        if short:
            self.add_error(
                "confirm",
                f"This supply change leaves promised units missing ({_short_listed(short)}). "
                "Tick confirm to save: the owners and operations are told at once.",
            )
        return cleaned


class IncomingSupplyAdmin(catalog_admin.IncomingSupplyAdmin):
    """Less or later supply under promised units lists them and needs a confirm; deleting
    supply warns on the confirmation page; both flag the promises left short."""

    form = IncomingSupplyForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["product"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        supply_change_save(
            user=request.user,
            product=obj.product,
            incoming=[*_supply_without(obj), (obj.date, obj.quantity)],
            write=lambda: super(IncomingSupplyAdmin, self).save_model(request, obj, form, change),
            confirmed=True,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        supply_change_save(
            user=request.user,
            product=obj.product,
            incoming=_supply_without(obj),
            write=lambda: super(IncomingSupplyAdmin, self).delete_model(request, obj),
            confirmed=True,
        )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for row in queryset:
            self.delete_model(request, row)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        row = IncomingSupply.objects.filter(pk=object_id).first()
        if request.method == "GET" and row is not None:
            short = supply_cut_preview(product=row.product, incoming=_supply_without(row))
            if short:
                messages.warning(
                    request,
                    f"Deleting this supply leaves promised units missing ({_short_listed(short)}); "
                    "confirming the deletion tells the owners and operations at once.",
                )
        return super().delete_view(request, object_id, extra_context)


class CapacityCutForm(forms.ModelForm):
    """A change that may take reserved hours away: when it does, it saves only with
    ``confirm`` ticked, and the error lists each promise that moves and whether it holds."""

    confirm = forms.BooleanField(
        required=False,
        label="Confirm the promises this change moves",
        help_text="Needed when it takes away hours reserved for promises.",
    )
    change_words = "This change"

    def cut_preview(self, cleaned: dict[str, Any]) -> list[CutConsequence]:
        """What the change in ``cleaned`` displaces (subclasses say how to build it)."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or cleaned.get("confirm"):
            return cleaned
        cut = self.cut_preview(cleaned)
        if cut:
            listed = "; ".join(
                f"{c.name}: {c.displaced_hours:g} h move, "
                + ("kept" if c.kept else "the promise cannot be kept")
                for c in cut
            )
            self.add_error(
                "confirm",
                f"{self.change_words} takes reserved hours away ({listed}). Tick confirm to "
                "save: the work is placed again and broken promises are told to owners and "
                "operations.",
            )
        return cleaned


class TimeOffForm(CapacityCutForm):
    change_words = "This time off"

    class Meta:
        model = TimeOff
        fields = ["person", *TIME_OFF_FIELDS]

    def cut_preview(self, cleaned: dict[str, Any]) -> list[CutConsequence]:
        person = cleaned.get("person") or getattr(self.instance, "person", None)
        if person is None:
            return []
        fields: dict[str, Any] = {name: cleaned.get(name) for name in TIME_OFF_FIELDS}
        saved = TimeOff.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        return time_off_cut_preview(
            time_off=time_off_build(person=person, **fields), replaces=saved
        )


PERSON_CAPACITY_FIELDS = frozenset(
    {
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
        "hours_sat",
        "hours_sun",
        "delivery_share",
        "start_date",
        "end_date",
    }
)


class PersonForm(CapacityCutForm):
    change_words = "This change of hours or dates"

    class Meta:
        model = Person
        fields = "__all__"

    def cut_preview(self, cleaned: dict[str, Any]) -> list[CutConsequence]:
        if self.instance.pk is None or not PERSON_CAPACITY_FIELDS & set(self.changed_data):
            return []  # a new person only adds capacity
        changed = Person.objects.get(pk=self.instance.pk)
        construct_instance(self, changed)
        return person_cut_preview(person=changed)


def skill_cut_refusal(skill: Skill, *, role: Role | None, efficiency: Any, deleting: bool) -> str:
    """Why a saved skill may not be removed, moved to another role or made slower ("" if
    it may): promised work of the person stands on it."""
    removed = deleting or role is None or role.pk != skill.role_id
    slower = not removed and efficiency is not None and efficiency < skill.efficiency
    if not (removed or slower):
        return ""
    held = promised_in_role(person_pk=skill.person_id, role_pk=skill.role_id)
    if held is None:
        return ""
    change = "removed" if removed else "made slower"
    return (
        f"{skill.person.name} holds {held.minutes / 60:g} h of promised work as "
        f"{skill.role.name} until {held.last_day:%d %b %Y}; the skill cannot be {change} "
        "while that work stands on it. Re-date or re-plan those promises first."
    )


class SkillGuardFormSet(forms.BaseInlineFormSet):
    """A person's skills inline: a saved skill with promised work on it stays (see
    ``skill_cut_refusal``); new skills only add capacity."""

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if form.errors or form.instance.pk is None or not form.has_changed():
                continue
            saved = Skill.objects.select_related("person", "role").get(pk=form.instance.pk)
            why = skill_cut_refusal(
                saved,
                role=form.cleaned_data.get("role"),
                efficiency=form.cleaned_data.get("efficiency"),
                deleting=bool(form.cleaned_data.get("DELETE")),
            )
            if why:
                raise forms.ValidationError(why)


class SkillGuardInline(people_admin.SkillInline):
    formset = SkillGuardFormSet


class SkillForm(forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["person", "role", "efficiency"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk is None:
            return cleaned
        saved = Skill.objects.select_related("person", "role").get(pk=self.instance.pk)
        why = skill_cut_refusal(
            saved, role=cleaned.get("role"), efficiency=cleaned.get("efficiency"), deleting=False
        )
        if why:
            raise forms.ValidationError(why)
        return cleaned


class SkillAdmin(people_admin.SkillAdmin):
    """Skills with promised work on them cannot be made slower, moved or deleted here."""

    form = SkillForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["person"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and promised_in_role(person_pk=obj.person_id, role_pk=obj.role_id):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for skill in queryset:
            if promised_in_role(person_pk=skill.person_id, role_pk=skill.role_id):
                raise PermissionDenied(
                    skill_cut_refusal(skill, role=None, efficiency=None, deleting=True)
                )
        super().delete_queryset(request, queryset)


class ClosureForm(CapacityCutForm):
    change_words = "This closure"

    class Meta:
        model = CompanyClosure
        fields = ["name", "start_date", "end_date"]

    def cut_preview(self, cleaned: dict[str, Any]) -> list[CutConsequence]:
        saved = CompanyClosure.objects.filter(pk=self.instance.pk).first()
        candidate = CompanyClosure(
            name=cleaned.get("name", ""),
            start_date=cleaned["start_date"],
            end_date=cleaned["end_date"],
        )
        return closure_cut_preview(closure=candidate, replaces=saved)


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


class PersonAdmin(people_admin.PersonAdmin):
    form = PersonForm
    inlines = [SkillGuardInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change or not PERSON_CAPACITY_FIELDS & set(form.changed_data):
            super().save_model(request, obj, form, change)
            return
        capacity_change_save(
            user=request.user,
            preview=lambda: person_cut_preview(person=obj),
            write=lambda: super(PersonAdmin, self).save_model(request, obj, form, change),
            cause=f"the new hours or dates of {obj.name}",
            people=[obj.pk],
            confirmed=True,
        )


class CompanyClosureAdmin(organisation_admin.CompanyClosureAdmin):
    form = ClosureForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = CompanyClosure.objects.filter(pk=obj.pk).first() if change else None
        capacity_change_save(
            user=request.user,
            preview=lambda: closure_cut_preview(closure=obj, replaces=saved),
            write=lambda: super(CompanyClosureAdmin, self).save_model(request, obj, form, change),
            cause=f"the closure {obj.name} ({obj.start_date:%Y-%m-%d} to {obj.end_date:%Y-%m-%d})",
            people=None,
            confirmed=True,
        )


admin.site.unregister(IncomingSupply)
admin.site.register(IncomingSupply, IncomingSupplyAdmin)
admin.site.unregister(Product)
admin.site.register(Product, ProductAdmin)
admin.site.unregister(TimeOff)
admin.site.register(TimeOff, TimeOffAdmin)
admin.site.unregister(Skill)
admin.site.register(Skill, SkillAdmin)
admin.site.unregister(Person)
admin.site.register(Person, PersonAdmin)
admin.site.unregister(CompanyClosure)
admin.site.register(CompanyClosure, CompanyClosureAdmin)
