from django.urls import path

from promisekeeper.promising.views import deal, exceptions, notifications, quote, redate, sheet

app_name = "promising"

urlpatterns = [
    path("quote/", quote.quote, name="quote"),
    path("deals/<int:pk>/", deal.deal_detail, name="deal"),
    path("deals/<int:pk>/commit/", deal.deal_commit, name="deal-commit"),
    path("deals/<int:pk>/redate/", redate.deal_redate, name="deal-redate"),
    path("deals/<int:pk>/cancel/", redate.deal_cancel, name="deal-cancel"),
    path("redates/<int:pk>/decide/", redate.redate_decide_view, name="redate-decide"),
    path("notices/<int:pk>/", redate.notice_detail, name="notice"),
    path("notices/<int:pk>/sheet.pdf", redate.notice_sheet_pdf, name="notice-sheet-pdf"),
    path("exceptions/", exceptions.exception_inbox, name="exceptions"),
    path("exceptions/<int:pk>/decide/", exceptions.exception_decide_view, name="exception-decide"),
    path("promises/<int:pk>/sheet/", sheet.promise_sheet, name="promise-sheet"),
    path("promises/<int:pk>/sheet.pdf", sheet.promise_sheet_pdf_view, name="promise-sheet-pdf"),
    path("notifications/", notifications.notifications_page, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
]
