"""Offerings and their SOPs: the current procedure, its history and what changed."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from promisekeeper.catalog.models import Offering
from promisekeeper.catalog.selectors import (
    offering_list,
    sop_version_diff,
    sop_versions_for,
)
from promisekeeper.organisation.http import csv_response
from promisekeeper.organisation.permissions import Area, read_required


@read_required(Area.CATALOG)
def offerings(request: HttpRequest) -> HttpResponse:
    rows = list(offering_list())
    if request.GET.get("format") == "csv":
        header = ["offering_id", "offering", "active", "versions", "current_version"]
        lines = [
            [
                o.pk,
                o.name,
                o.active,
                len(o.sop_versions.all()),
                max((v.version for v in o.sop_versions.all()), default=None),
            ]
            for o in rows
        ]
        return csv_response("offerings.csv", header, lines)
    return render(request, "catalog/offerings.html", {"offerings": rows})


@read_required(Area.CATALOG)
def offering_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offering = Offering.objects.filter(pk=pk).first()
    if offering is None:
        raise Http404("No such offering.")
    versions = sop_versions_for(offering=offering)
    by_number = {v.version: v for v in versions}
    diffs = [
        (newer, older, sop_version_diff(older=older, newer=newer))
        for newer, older in zip(versions, versions[1:], strict=False)
    ]
    chosen = None
    a, b = request.GET.get("from", ""), request.GET.get("to", "")
    if a.isdigit() and b.isdigit() and int(a) in by_number and int(b) in by_number:
        chosen = sop_version_diff(older=by_number[int(a)], newer=by_number[int(b)])
    context = {
        "offering": offering,
        "current": versions[0] if versions else None,
        "versions": versions,
        "diffs": diffs,
        "chosen": chosen,
        "compare_from": int(a)
        if a.isdigit()
        else (versions[1].version if len(versions) > 1 else None),
        "compare_to": int(b) if b.isdigit() else (versions[0].version if versions else None),
        "query": request.GET,
    }
    return render(request, "catalog/offering_detail.html", context)
