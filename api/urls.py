from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(use_regex_path=False)
router.register("employees", views.EmployeeViewSet, basename="employee")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("wage-types", views.WageTypeViewSet, basename="wage-type")
router.register("time-entries", views.TimeEntryViewSet, basename="time-entry")
router.register("sync-runs", views.SyncRunViewSet, basename="sync-run")
router.register("sync-records", views.SyncRecordViewSet, basename="sync-record")
router.register("hour-transfers", views.HourTransferViewSet, basename="hour-transfer")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("connection/", views.ConnectionView.as_view(), name="connection"),
    path("connectors/", views.ConnectorListView.as_view(), name="connectors"),
    path("connectors/<slug:connector>/sync/", views.ConnectorSyncView.as_view(), name="connector_sync"),
    *router.urls,
    re_path(r"^", views.not_found),
]
