from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("timeoverforing/", views.hours_overview, name="hours"),
    path("timeoverforing/prov-igjen/", views.hours_retry, name="hours_retry"),
    path("timeoverforing/eksport/", views.hours_export, name="hours_export"),
    path("timeoverforing/kjoring/<int:run_id>/", views.hours_run, name="hours_run"),
]
