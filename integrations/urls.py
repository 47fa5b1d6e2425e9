from django.urls import path

from . import connector_views, views
from .connectors.inventory import startup_views

app_name = "integrations"
urlpatterns = [
    path("", connector_views.connectors, name="connectors"),
    path("logg/", connector_views.sync_log, name="sync_log"),
    path("logg/<int:record_id>/prov-igjen/", connector_views.record_retry, name="record_retry"),
    path("koblinger/<int:link_id>/gjenopprett/", connector_views.link_restore, name="link_restore"),
    path("timeoverforing/", views.hours_overview, name="hours"),
    path("timeoverforing/prov-igjen/", views.hours_retry, name="hours_retry"),
    path("timeoverforing/ordnet-for-hand/", views.hours_mark_handled, name="hours_mark_handled"),
    path("timeoverforing/eksport/", views.hours_export, name="hours_export"),
    path("timeoverforing/kjoring/<int:run_id>/", views.hours_run, name="hours_run"),
    path("inventory/oppstart/", startup_views.startup_page, name="inventory_startup"),
    path("inventory/oppstart/<int:run_id>/", startup_views.startup_run, name="inventory_startup_run"),
    path("inventory/invitasjon/", startup_views.invite, name="inventory_invite"),
    path("<slug:connector>/kort/", connector_views.connector_card, name="connector_card"),
    path("<slug:connector>/slaa-paa/", connector_views.connector_enable, name="connector_enable"),
    path("<slug:connector>/slaa-av/", connector_views.connector_disable, name="connector_disable"),
    path("<slug:connector>/innstillinger/", connector_views.connector_options, name="connector_options"),
    path("<slug:connector>/synkroniser/", connector_views.connector_sync, name="connector_sync"),
    path("tripletex/endringer/godta-alle/", views.remote_changes_accept_all, name="remote_changes_accept_all"),
    path("tripletex/endringer/<int:change_id>/godta/", views.remote_change_accept, name="remote_change_accept"),
    path("tripletex/endringer/<int:change_id>/avvis/", views.remote_change_dismiss, name="remote_change_dismiss"),
]
