"""The API's resources as JSON. Serializers only check shapes and read; every write goes through the
services the pages use, so the same rules (and the queueing for Tripletex) hold whatever the caller.

Help texts are English: they are the schema's documentation for developers, like the README. Messages
a caller gets back are translated (Accept-Language)."""
from django.utils.translation import gettext as _
from django.db import models
from rest_framework import serializers

from hr import services as hr_services
from hr.models import Activity, Customer, Employee, Project, TimeEntry, WageType
from integrations.connectors.selectors import can_retry
from integrations.models import Connection, HourTransfer, SyncRecord, SyncRun

from .listing import Filters

TIMESTAMPS = ("created_at", "updated_at")
# Ids are 64-bit in the database; a larger number is a 400, not a database error.
MAX_ID = 2**63 - 1


class StrictText(serializers.CharField):
    """Text must be sent as a JSON string: DRF would take 1e-147 and store "1.0e-147" as an employee number."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmail(serializers.EmailField, StrictText):
    pass


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictText, models.TextField: StrictText, models.EmailField: StrictEmail,
    }


class TenantRelated(serializers.PrimaryKeyRelatedField):
    """An id of one of the calling company's rows; another company's id is "does not exist"."""

    def get_queryset(self):
        return self.queryset.filter(tenant=self.context["request"].auth.tenant)


class EmployeeSerializer(ModelSerializer):
    class Meta:
        model = Employee
        fields = ("id", *hr_services.EMPLOYEE_FIELDS, *TIMESTAMPS)


class CustomerSerializer(ModelSerializer):
    class Meta:
        model = Customer
        fields = ("id", *hr_services.CUSTOMER_FIELDS, *TIMESTAMPS)


class ProjectSerializer(ModelSerializer):
    parent = TenantRelated(queryset=Project.objects, allow_null=True, required=False)
    customer = TenantRelated(queryset=Customer.objects, allow_null=True, required=False)
    project_manager = TenantRelated(queryset=Employee.objects, allow_null=True, required=False)

    class Meta:
        model = Project
        fields = ("id", *hr_services.PROJECT_FIELDS, *TIMESTAMPS)


class ActivitySerializer(ModelSerializer):
    class Meta:
        model = Activity
        fields = ("id", "number", "name", "hourly_rate", *TIMESTAMPS)


class WageTypeSerializer(ModelSerializer):
    class Meta:
        model = WageType
        fields = ("id", "number", "name", "active", *TIMESTAMPS)


class TimeEntrySerializer(ModelSerializer):
    employee = TenantRelated(queryset=Employee.objects)
    project = TenantRelated(queryset=Project.objects)
    activity = TenantRelated(queryset=Activity.objects)
    wage_type = TenantRelated(queryset=WageType.objects, allow_null=True, required=False)
    transfer_state = serializers.ChoiceField(
        choices=HourTransfer.State.choices, read_only=True, allow_null=True,
        help_text="State of the entry's newest transfer to Tripletex; null if it was never approved.",
    )

    class Meta:
        model = TimeEntry
        fields = (
            "id", "employee", "date", "hours", "project", "activity", "wage_type", "comment", "status",
            "approved_at", "transfer_state", *TIMESTAMPS,
        )
        read_only_fields = ("status", "approved_at")


class TimeEntryBatchSerializer(serializers.Serializer):
    entries = TimeEntrySerializer(many=True, allow_empty=False, max_length=500)


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False, max_length=1000,
    )


class HoursExportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many rows the action changed.")


class SyncRunSerializer(ModelSerializer):
    summary = serializers.DictField(read_only=True)

    class Meta:
        model = SyncRun
        fields = ("id", "kind", "connector", "trigger", "status", "summary", "message", "finished_at", *TIMESTAMPS)


class SyncRecordSerializer(ModelSerializer):
    rule = serializers.SerializerMethodField()
    can_retry = serializers.SerializerMethodField()

    class Meta:
        model = SyncRecord
        fields = (
            "id", "run", "direction", "object_kind", "local_id", "tripletex_id", "label", "action", "rule",
            "message", "request_id", "can_retry", *TIMESTAMPS,
        )

    def get_rule(self, record) -> str:
        # Stored in Norwegian, like every rule, and translated when shown.
        return _(record.rule) if record.rule else ""

    def get_can_retry(self, record) -> bool:
        return can_retry(record)


class HourTransferSerializer(ModelSerializer):
    entry = serializers.IntegerField(source="local_entry_id", read_only=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = HourTransfer
        fields = (
            "id", "entry", "action", "state", "hours", "comment", "reason", "message", "request_id", "attempts",
            "next_attempt_at", "sent_at", *TIMESTAMPS,
        )

    def get_reason(self, transfer) -> str:
        return _(transfer.reason) if transfer.reason else ""


class HoursStatusSerializer(serializers.Serializer):
    last_sent_at = serializers.DateTimeField(allow_null=True)
    waiting = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    locked = serializers.IntegerField()
    held = serializers.IntegerField()
    without_count = serializers.IntegerField(help_text="Hours sent without their count per wage type.")


class ConnectionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Connection.State.choices)
    tripletex_company_id = serializers.IntegerField(allow_null=True)
    tripletex_company_name = serializers.CharField(allow_blank=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    last_refreshed_at = serializers.DateTimeField(allow_null=True)
    hours = HoursStatusSerializer()


class ConnectorSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    enabled = serializers.BooleanField()
    running = serializers.BooleanField(help_text="A sync of it is running now.")
    last_run = SyncRunSerializer(allow_null=True)


# Query-string filters of the lists.

class EmployeeFilters(Filters):
    active = serializers.BooleanField(required=False)
    employee_number = serializers.CharField(required=False)
    lookups = {"active": "active", "employee_number": "employee_number"}


class CustomerFilters(Filters):
    status = serializers.ChoiceField(choices=Customer.Status.choices, required=False)
    customer_number = serializers.CharField(required=False)
    org_number = serializers.CharField(required=False)
    lookups = {"status": "status", "customer_number": "customer_number", "org_number": "org_number"}


class ProjectFilters(Filters):
    status = serializers.ChoiceField(choices=Project.Status.choices, required=False)
    number = serializers.CharField(required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    lookups = {"status": "status", "number": "number", "customer": "customer_id"}


class NumberFilters(Filters):
    number = serializers.CharField(required=False)
    lookups = {"number": "number"}


class TimeEntryFilters(Filters):
    status = serializers.ChoiceField(choices=TimeEntry.Status.choices, required=False)
    employee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    lookups = {
        "status": "status", "employee": "employee_id", "project": "project_id", "date_from": "date__gte",
        "date_to": "date__lte",
    }


class SyncRunFilters(Filters):
    kind = serializers.ChoiceField(choices=SyncRun.Kind.choices, required=False)
    connector = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=SyncRun.Status.choices, required=False)
    lookups = {"kind": "kind", "connector": "connector", "status": "status"}


class SyncRecordFilters(Filters):
    run = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    action = serializers.ChoiceField(choices=SyncRecord.Action.choices, required=False)
    direction = serializers.ChoiceField(choices=SyncRecord.Direction.choices, required=False)
    object_kind = serializers.CharField(required=False)
    lookups = {"run": "run_id", "action": "action", "direction": "direction", "object_kind": "object_kind"}


class HourTransferFilters(Filters):
    state = serializers.ChoiceField(choices=HourTransfer.State.choices, required=False)
    entry = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    lookups = {"state": "state", "entry": "local_entry_id"}
