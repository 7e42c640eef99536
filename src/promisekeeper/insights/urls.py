from django.urls import path

from promisekeeper.insights import kpi_views, views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("plotly.min.js", views.plotly_js, name="plotly_js"),
    path("insights/timeline/", views.timeline, name="timeline"),
    path("insights/heatmap/", views.heatmap, name="heatmap"),
    path("insights/heatmap/cell/", views.heatmap_cell, name="heatmap_cell"),
    path("insights/heatmap.csv", views.heatmap_csv, name="heatmap_csv"),
    path("insights/at-risk.csv", views.at_risk_csv, name="at_risk_csv"),
    path("insights/deals/", views.deals, name="deals"),
    path("insights/kpis/", kpi_views.kpis, name="kpis"),
]
