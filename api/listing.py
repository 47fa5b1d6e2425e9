"""How every list of the API is read: filters from the query string (checked like a body, so a bad one is a
400 naming it), `updated_since`, `ordering`, and cursor pagination."""
from django.utils.translation import gettext as _
from rest_framework import filters, pagination, serializers
from rest_framework.exceptions import ValidationError

# What every list takes besides its filters: the cursor pagination's and the ordering's parameters.
LIST_PARAMETERS = {"cursor", "page_size", "ordering"}


class Filters(serializers.Serializer):
    """A list's query-string filters. `lookups` maps a filter to the queryset lookup it narrows by."""

    updated_since = serializers.DateTimeField(
        required=False, help_text="Only rows changed at or after this moment (ISO 8601).",
    )

    lookups: dict[str, str] = {}

    def apply(self, queryset):
        lookups = {"updated_since": "updated_at__gte", **self.lookups}
        return queryset.filter(**{lookups[name]: value for name, value in self.validated_data.items()})


class QueryFilters(filters.BaseFilterBackend):
    """Narrows a list by the view's `filters_class`; a detail or an action is never narrowed.

    A parameter the list does not know is a 400: a script with `?updated_snce=` would otherwise get every
    row and never hear of its typo.
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        # A plain dict: DRF reads a QueryDict as a form, where an absent checkbox means False.
        found = view.filters_class(data=request.query_params.dict())
        known = set(found.fields) | LIST_PARAMETERS
        unknown = {name: [_("Ukjent parameter.")] for name in request.query_params if name not in known}
        if unknown:
            raise ValidationError(unknown)
        # Only the last of a repeated parameter would be read: `?page_size=0&page_size=5` would pass unnoticed.
        repeated = {name: [_("Parameteren kan bare gis én gang.")]
                    for name, values in request.query_params.lists() if len(values) > 1}
        if repeated:
            raise ValidationError(repeated)
        found.is_valid(raise_exception=True)
        return found.apply(queryset)


class Cursor(pagination.CursorPagination):
    """Stable pages however many rows change between two requests; `next` carries the cursor."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF quietly uses the default for a page_size it cannot read; a script should hear of its mistake.
        if self.page_size_query_param in request.query_params:
            found = PageSize(data=request.query_params.dict())
            found.is_valid(raise_exception=True)
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class PageSize(serializers.Serializer):
    page_size = serializers.IntegerField(min_value=1, max_value=Cursor.max_page_size)
