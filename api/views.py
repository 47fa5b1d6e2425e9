"""The REST API's views: thin, like the pages'. They check shapes with serializers and call the same
services and selectors as the pages; the company is always the calling key's."""
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from hr import services as hr_services
from hr.models import Activity, Customer, Employee, Project, TimeEntry, WageType
from integrations.connectors import registry
from integrations.connectors import selectors as connector_selectors
from integrations.connectors import services as connector_services
from integrations.forms import HoursExportForm
from integrations.hours import enqueue_push_on_commit
from integrations.hours.outbox import hour_transfers_retry, hours_export_period
from integrations.hours.selectors import hours_status, with_transfer_state
from integrations.models import Connection, HourTransfer, SyncRecord, SyncRun
from integrations.selectors import connection_for

from . import serializers as s
from . import services
from .base import TenantApiMixin, accept_language
from .exceptions import Conflict, validation_error
from .listing import Cursor, QueryFilters
from .schema import ErrorSerializer


class ApiViewSet(TenantApiMixin, viewsets.GenericViewSet):
    pagination_class = Cursor
    filter_backends = [QueryFilters, filters.OrderingFilter]
    filters_class = s.Filters
    # Only columns that are never null may be ordered by: the cursor compares the next page against
    # the last row's value.
    ordering = ["id"]
    ordering_fields = ["id", "created_at", "updated_at"]
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def ids(self) -> list[int]:
        return self.valid(s.IdsSerializer)["ids"]


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


class RegisterViewSet(ReadOnlyViewSet):
    """Employees, customers, projects: written through the HR services, which queue each change for the
    two-way connector. DELETE keeps the row (inactive or Slettet), as the pages do."""

    def save_new(self, data: dict):
        raise NotImplementedError

    def save_changes(self, obj, data: dict):
        raise NotImplementedError

    def remove(self, obj) -> None:
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        obj = self.save_new(self.valid(self.get_serializer_class()))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        obj = self.save_changes(obj, self.valid(self.get_serializer_class(), instance=obj, partial=True))
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmployeeViewSet(RegisterViewSet):
    """Ansatte. DELETE sets the employee inactive: their hours and login stay."""

    serializer_class = s.EmployeeSerializer
    filters_class = s.EmployeeFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "first_name", "last_name", "employee_number"]
    lookup_url_kwarg = "employee_id"

    def get_queryset(self) -> QuerySet[Employee]:
        return Employee.objects.filter(tenant=self.tenant)

    def save_new(self, data):
        return hr_services.employee_create(tenant=self.tenant, **data)

    def save_changes(self, obj, data):
        return hr_services.employee_update(tenant=self.tenant, employee=obj, data=data)

    def remove(self, obj):
        hr_services.employee_deactivate(tenant=self.tenant, employee=obj)


class CustomerViewSet(RegisterViewSet):
    """Kunder. DELETE marks the customer Slettet: its projects and Tripletex link stay."""

    serializer_class = s.CustomerSerializer
    filters_class = s.CustomerFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "name", "customer_number"]
    lookup_url_kwarg = "customer_id"

    def get_queryset(self) -> QuerySet[Customer]:
        return Customer.objects.filter(tenant=self.tenant)

    def save_new(self, data):
        return hr_services.customer_create(tenant=self.tenant, **data)

    def save_changes(self, obj, data):
        return hr_services.customer_update(tenant=self.tenant, customer=obj, data=data)

    def remove(self, obj):
        hr_services.customer_delete(tenant=self.tenant, customer=obj)


class ProjectViewSet(RegisterViewSet):
    """Prosjekter. DELETE marks the project Slettet: its hours, sub-projects and Tripletex link stay."""

    serializer_class = s.ProjectSerializer
    filters_class = s.ProjectFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "name", "number"]
    lookup_url_kwarg = "project_id"

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.filter(tenant=self.tenant)

    def save_new(self, data):
        return hr_services.project_create(tenant=self.tenant, **data)

    def save_changes(self, obj, data):
        return hr_services.project_update(tenant=self.tenant, project=obj, data=data)

    def remove(self, obj):
        hr_services.project_delete(tenant=self.tenant, project=obj)


class ActivityViewSet(ReadOnlyViewSet):
    """Aktiviteter, as the activation wizard brought them from Tripletex."""

    serializer_class = s.ActivitySerializer
    filters_class = s.NumberFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "name", "number"]
    lookup_url_kwarg = "activity_id"

    def get_queryset(self) -> QuerySet[Activity]:
        return Activity.objects.filter(tenant=self.tenant)


class WageTypeViewSet(ReadOnlyViewSet):
    """Lønnsarter, as the activation wizard brought them from Tripletex."""

    serializer_class = s.WageTypeSerializer
    filters_class = s.NumberFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "name", "number"]
    lookup_url_kwarg = "wage_type_id"

    def get_queryset(self) -> QuerySet[WageType]:
        return WageType.objects.filter(tenant=self.tenant)


class TimeEntryViewSet(ReadOnlyViewSet):
    """Timeføringer: made and changed as drafts, then submitted, approved (which sends them to Tripletex)
    or rejected, as on Timeliste and Godkjenning."""

    serializer_class = s.TimeEntrySerializer
    filters_class = s.TimeEntryFilters
    ordering_fields = [*ApiViewSet.ordering_fields, "date"]
    lookup_url_kwarg = "entry_id"

    def get_queryset(self) -> QuerySet[TimeEntry]:
        return with_transfer_state(TimeEntry.objects.filter(tenant=self.tenant))

    def _shown(self, entries: list[TimeEntry]) -> list[TimeEntry]:
        """The entries again, as a list shows them (with their transfer state)."""
        found = {e.id: e for e in self.get_queryset().filter(id__in=[e.id for e in entries])}
        return [found[e.id] for e in entries]

    @staticmethod
    def _row(data: dict, entry: TimeEntry | None = None) -> dict:
        def value(name, default=None):
            return data.get(name, getattr(entry, name) if entry is not None else default)

        return {
            "employee": value("employee"), "date": value("date"), "hours": value("hours"), "project": value("project"),
            "activity": value("activity"), "wage_type": value("wage_type"), "comment": value("comment", ""),
        }

    def create(self, request, *args, **kwargs):
        entry = hr_services.time_entry_save(tenant=self.tenant, **self._row(self.valid(s.TimeEntrySerializer)))
        return Response(self.get_serializer(self._shown([entry])[0]).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        data = self.valid(s.TimeEntrySerializer, instance=entry, partial=True)
        entry = hr_services.time_entry_save(tenant=self.tenant, entry=entry, **self._row(data, entry))
        return Response(self.get_serializer(self._shown([entry])[0]).data)

    def destroy(self, request, *args, **kwargs):
        hr_services.time_entry_delete(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.TimeEntryBatchSerializer, responses={201: s.TimeEntryBatchSerializer})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Create several draft entries at once: all of them, or (on any error) none."""
        rows = [self._row(row) for row in self.valid(s.TimeEntryBatchSerializer)["entries"]]
        try:
            entries = services.time_entries_create(tenant=self.tenant, rows=rows)
        except services.RowInvalid as exc:
            # Shaped as DRF gives a bad row's fields: {"entries": {"<index>": {field: [messages]}}}.
            raise exceptions.ValidationError({"entries": {str(exc.index): validation_error(exc.error).detail}}) from exc
        shown = s.TimeEntrySerializer(self._shown(entries), many=True, context=self.get_serializer_context())
        return Response({"entries": shown.data}, status=status.HTTP_201_CREATED)

    def _selected(self) -> QuerySet[TimeEntry]:
        return TimeEntry.objects.filter(tenant=self.tenant, id__in=self.ids())

    @extend_schema(request=s.IdsSerializer, responses={200: s.CountSerializer})
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Submit draft and rejected entries for approval; others among `ids` are left as they are."""
        n = hr_services.time_entries_submit_selected(tenant=self.tenant, entries=self._selected())
        return Response({"count": n})

    @extend_schema(request=s.IdsSerializer, responses={200: s.CountSerializer})
    @action(detail=False, methods=["post"])
    def approve(self, request):
        """Approve submitted entries; they go to Tripletex while it is connected."""
        n = hr_services.time_entries_approve(tenant=self.tenant, entries=self._selected(), by=self.by)
        return Response({"count": n})

    @extend_schema(request=s.IdsSerializer, responses={200: s.CountSerializer})
    @action(detail=False, methods=["post"])
    def reject(self, request):
        """Send submitted or approved entries back to the employee; approved ones are taken back from Tripletex."""
        n = hr_services.time_entries_reject(tenant=self.tenant, entries=self._selected(), by=self.by)
        return Response({"count": n})


class SyncRunViewSet(ReadOnlyViewSet):
    """Synkroniseringer: every piece of work against Tripletex (activation, connector runs, hours)."""

    serializer_class = s.SyncRunSerializer
    filters_class = s.SyncRunFilters
    lookup_url_kwarg = "run_id"

    def get_queryset(self) -> QuerySet[SyncRun]:
        return SyncRun.objects.filter(tenant=self.tenant)


class SyncRecordViewSet(ReadOnlyViewSet):
    """Synkroniseringsloggen: what happened to each record of a run, and why."""

    serializer_class = s.SyncRecordSerializer
    filters_class = s.SyncRecordFilters
    lookup_url_kwarg = "record_id"

    def get_queryset(self) -> QuerySet[SyncRecord]:
        return SyncRecord.objects.filter(tenant=self.tenant).select_related("run")

    @extend_schema(request=None, responses={202: s.SyncRecordSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, record_id):
        """«Prøv igjen» on a failed record: a change to Tripletex is sent again, one from Tripletex read again."""
        record = self.get_object()
        connector_services.sync_record_retry(tenant=self.tenant, record_id=record.id)
        return Response(self.get_serializer(record).data, status=status.HTTP_202_ACCEPTED)


class HourTransferViewSet(ReadOnlyViewSet):
    """Timeoverføring: what each approved (or since rejected) entry asks of Tripletex, and how it went."""

    serializer_class = s.HourTransferSerializer
    filters_class = s.HourTransferFilters
    lookup_url_kwarg = "transfer_id"

    def get_queryset(self) -> QuerySet[HourTransfer]:
        return HourTransfer.objects.filter(tenant=self.tenant)

    @extend_schema(request=s.IdsSerializer, responses={200: s.CountSerializer})
    @action(detail=False, methods=["post"])
    def retry(self, request):
        """«Prøv igjen»: failed, locked and held transfers among `ids` go back in the queue."""
        n = hour_transfers_retry(tenant=self.tenant, ids=self.ids())
        if n:
            enqueue_push_on_commit(tenant_id=self.tenant.id)
        return Response({"count": n})

    @extend_schema(request=s.HoursExportSerializer, responses={202: s.SyncRunSerializer, 409: ErrorSerializer})
    @action(detail=False, methods=["post"])
    def export(self, request):
        """«Eksporter timer til Tripletex»: every approved hour of the period not yet sent goes now."""
        # The page's form holds the period's rules; the serializer only the shape.
        form = HoursExportForm(self.valid(s.HoursExportSerializer))
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        connection = connection_for(tenant=self.tenant)
        if not (connection and connection.is_active):
            raise Conflict(_("Tripletex er ikke koblet til. Koble til først, så kan timene eksporteres."))
        run = hours_export_period(tenant=self.tenant, by=self.by, **form.cleaned_data)
        enqueue_push_on_commit(tenant_id=self.tenant.id)
        return Response(s.SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other address under the API: a 404 a script can read, not the site's HTML page (nor a CSRF
    refusal: the API has no cookies to protect)."""
    language = accept_language(request)
    with translation.override(language):
        response = JsonResponse({"detail": _("Ikke funnet.")}, status=404)
    response.headers["Content-Language"] = language
    return response


class ConnectionView(TenantApiMixin, APIView):
    @extend_schema(responses={200: s.ConnectionSerializer})
    def get(self, request):
        """The company's Tripletex connection: its state, and how its hours are going. Never its token."""
        connection = connection_for(tenant=self.tenant) or Connection(tenant=self.tenant)
        return Response(s.ConnectionSerializer({
            "state": connection.state, "tripletex_company_id": connection.tripletex_company_id,
            "tripletex_company_name": connection.tripletex_company_name, "connected_at": connection.connected_at,
            "last_refreshed_at": connection.last_refreshed_at, "hours": hours_status(tenant=self.tenant),
        }).data)


def _connector_row(card) -> dict:
    return {"name": card.connector.name, "title": str(card.connector.title), "enabled": card.enabled,
            "running": card.running, "last_run": card.last_run}


class ConnectorListView(TenantApiMixin, APIView):
    @extend_schema(responses={200: s.ConnectorSerializer(many=True)})
    def get(self, request):
        """Every connector, switched on or off, with its last sync."""
        cards = connector_selectors.connector_cards(tenant=self.tenant)
        return Response(s.ConnectorSerializer([_connector_row(c) for c in cards], many=True).data)


class ConnectorSyncView(TenantApiMixin, APIView):
    @extend_schema(request=None, responses={202: s.SyncRunSerializer, 409: ErrorSerializer})
    def post(self, request, connector):
        """«Synkroniser nå»: a sync of the connector, queued; follow it under /sync-runs/{id}/."""
        found = registry.get(connector)
        if found is None:
            raise exceptions.NotFound()
        if not connector_selectors.connection_active(tenant=self.tenant):
            raise Conflict(_("Tripletex er ikke koblet til. Integrasjonene kan bare brukes mens Tripletex er koblet "
                             "til."))
        card = connector_selectors.connector_card(tenant=self.tenant, connector=found)
        if not card.enabled or found.reconcile is None:
            raise Conflict(_("Slå på «%(title)s» før du synkroniserer.") % {"title": found.title})
        if card.running:
            raise Conflict(_("En synkronisering pågår allerede."))
        run = connector_services.connector_run_request(
            tenant=self.tenant, name=found.name, trigger=SyncRun.Trigger.MANUAL, by=self.by,
        )
        return Response(s.SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

