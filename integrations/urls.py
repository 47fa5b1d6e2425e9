from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("timeoverforing/", views.hours_overview, name="hours"),
    path("timeoverforing/prov-igjen/", views.hours_retry, name="hours_retry"),
    path("timeoverforing/eksport/", views.hours_export, name="hours_export"),
    path("timeoverforing/kjoring/<int:run_id>/", views.hours_run, name="hours_run"),
    path("tripletex/endringer/godta-alle/", views.remote_changes_accept_all, name="remote_changes_accept_all"),
    path("tripletex/endringer/<int:change_id>/godta/", views.remote_change_accept, name="remote_change_accept"),
    path("tripletex/endringer/<int:change_id>/avvis/", views.remote_change_dismiss, name="remote_change_dismiss"),
]
