"""How every list of the API is read: filters from the query string (checked like a body, so a bad one is a
400 naming it), `updated_since`, `ordering`, and cursor pagination."""
from rest_framework import filters, pagination, serializers


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
    """Narrows a list by the view's `filters_class`; a detail or an action is never narrowed."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        # A plain dict: DRF reads a QueryDict as a form, where an absent checkbox means False.
        found = view.filters_class(data=request.query_params.dict())
        found.is_valid(raise_exception=True)
        return found.apply(queryset)


class Cursor(pagination.CursorPagination):
    """Stable pages however many rows change between two requests; `next` carries the cursor."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
