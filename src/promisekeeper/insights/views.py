from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from promisekeeper.insights.selectors import dashboard_summary_get
from promisekeeper.organisation.permissions import is_operations, is_sales


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/dashboard.html",
        {
            "summary": dashboard_summary_get(),
            "is_sales": is_sales(request.user),
            "is_operations": is_operations(request.user),
        },
    )
