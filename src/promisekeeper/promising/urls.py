from django.urls import path

from promisekeeper.promising import views

app_name = "promising"

urlpatterns = [
    path("quote/", views.quote, name="quote"),
    path("deals/<int:pk>/", views.deal_detail, name="deal"),
    path("deals/<int:pk>/commit/", views.deal_commit, name="deal-commit"),
    path("exceptions/", views.exception_inbox, name="exceptions"),
    path("exceptions/<int:pk>/decide/", views.exception_decide_view, name="exception-decide"),
    path("promises/<int:pk>/sheet/", views.promise_sheet, name="promise-sheet"),
    path("promises/<int:pk>/sheet.pdf", views.promise_sheet_pdf_view, name="promise-sheet-pdf"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
