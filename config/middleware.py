"""Refuses requests whose query or form fields carry a NUL character.

No page sends one, and PostgreSQL text cannot hold one: a search or form value with a NUL would fail deep in
a query with a 500. Refusing it at the door is a 400 that changes nothing, for every page at once.
"""
from django.http import HttpResponseBadRequest

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [request.GET]
        if request.method == "POST" and request.content_type in FORM_TYPES:
            fields.append(request.POST)
        if any("\x00" in value for data in fields for _name, values in data.lists() for value in values):
            return HttpResponseBadRequest("A field holds a NUL character.")
        return self.get_response(request)
