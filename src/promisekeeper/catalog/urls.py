from django.urls import path

from promisekeeper.catalog import views

app_name = "catalog"

urlpatterns = [
    path("offerings/", views.offerings, name="offerings"),
    path("offerings/<int:pk>/", views.offering_detail, name="offering_detail"),
]
