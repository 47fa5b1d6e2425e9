from django.urls import path

from . import pages

app_name = "api_keys"
urlpatterns = [
    path("", pages.api_keys, name="list"),
    path("<str:key_prefix>/tilbakekall/", pages.api_key_revoke, name="revoke"),
]
