"""What the deal and project pages show about changing a promise: the first promised date,
the proposed new dates and their decisions, the customer notices, and the forms the rules
allow."""

from __future__ import annotations

import uuid
from typing import Any

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.promising.permissions import User, may_cancel, may_decide_redate, may_redate
from promisekeeper.sales.models import Deal, RedateRequest
from promisekeeper.sales.selectors import promise_latest, promise_original


def changes_context(user: User, deal: Deal) -> dict[str, Any]:
    """The context of ``promising/_changes.html`` for ``deal``."""
    promise = promise_latest(deal=deal)
    live = (
        promise is not None
        and deal.stage == Deal.Stage.WON
        and not DeliveryProject.objects.filter(
            deal=deal,
            status__in=[DeliveryProject.Status.CANCELLED, DeliveryProject.Status.DELIVERED],
        ).exists()
    )
    requests = list(
        deal.redate_requests.select_related("requested_by", "decided_by", "previous_promise")
    )
    return {
        "change_deal": deal,
        "current_promise": promise,
        "original_promise": promise_original(deal=deal),
        "redate_requests": requests,
        "redate_waiting": any(r.status == RedateRequest.Status.REQUESTED for r in requests),
        "notices": list(deal.customer_notices.select_related("created_by").defer("sheet_pdf")),
        "can_redate": live and bool(may_redate(user, deal)),
        "can_cancel": live and bool(may_cancel(user, deal)),
        "can_decide_redate": bool(may_decide_redate(user)),
        "redate_reasons": RedateRequest.Reason.choices,
        "redate_key": uuid.uuid4(),
    }
