"""The OpenAPI schema: every operation documents the answers it can give, so a client generated from it
(and schemathesis) knows the errors as well as the successes."""
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .base import IDEMPOTENCY_HEADER, REPLAYED_HEADER


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the Accept-Language (nb by default, or en).")


class ValidationErrorSerializer(serializers.Serializer):
    """Field name → messages (a list of strings). Errors of no one field are under `non_field_errors`;
    a batch's under `entries`, by the index of the bad row: {"entries": {"1": {"hours": [...]}}}."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        return {**build_basic_type(OpenApiTypes.OBJECT), "description": ValidationErrorSerializer.__doc__}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "`Api-Key <key>`: a key made under Selskapsinnstillinger → API-nøkler, or with "
                           "`manage.py create_api_key`.",
        }


class AutoSchema(openapi.AutoSchema):
    def get_operation_id(self):
        # "time_entries_approve", not "time_entries_approve_create": only a POST that makes a row is a create.
        operation_id = super().get_operation_id()
        if self.method == "POST" and getattr(self.view, "action", None) != "create":
            operation_id = operation_id.removesuffix("_create")
        return operation_id

    def get_override_parameters(self):
        parameters = [
            *super().get_override_parameters(),
            OpenApiParameter(
                "Accept-Language", str, OpenApiParameter.HEADER,
                description="Language of the messages: `nb` (the default) or `en`.",
            ),
            OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429],
                             description="Seconds until the key may send again."),
        ]
        if self._is_list_view() and hasattr(self.view, "filters_class"):
            parameters.append(self.view.filters_class)
        if self.method == "POST":
            parameters += [
                OpenApiParameter(
                    IDEMPOTENCY_HEADER, {"type": "string", "minLength": 1, "maxLength": 255}, OpenApiParameter.HEADER,
                    description="Any string of 1–255 characters. A POST repeated with the same key gives the first "
                                "answer again (same status and body) instead of doing the work twice; the same key "
                                "with another request is a 422. Kept for `API_IDEMPOTENCY_HOURS` (24 h).",
                ),
                OpenApiParameter(REPLAYED_HEADER, str, OpenApiParameter.HEADER, response=True,
                                 description="`true` when the answer is the one kept for the Idempotency-Key."),
            ]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {"401": ErrorSerializer, "403": ErrorSerializer, "404": ErrorSerializer, "429": ErrorSerializer}
        if self.method != "GET" or self._is_list_view():
            errors["400"] = ValidationErrorSerializer
        if self.method == "POST":
            errors["422"] = ErrorSerializer
        for code, serializer in errors.items():
            responses.setdefault(code, self._get_response_for_code(serializer, code, direction=direction))
        return responses



def blank_allowed_as_any_of(result, generator, request, public):
    """drf-spectacular writes a text field that may be blank as oneOf(the format, maxLength 0). A validator
    that does not check formats (JSON Schema's default) finds "" valid under both, so oneOf fails; anyOf
    says the same without that trap."""

    def walk(node):
        if isinstance(node, dict):
            branches = node.get("oneOf")
            if isinstance(branches, list) and any(b.get("maxLength") == 0 for b in branches if isinstance(b, dict)):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
