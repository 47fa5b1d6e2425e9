from django.contrib import admin
from django.urls import include, path

from integrations.webhook_views import tripletex_webhook

from .health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("tenants.urls")),
    path("", include("hr.urls")),
    path("", include("commerce.urls")),
    path("integrasjoner/", include("integrations.urls")),
    path("tripletex/", include("wizard.urls")),
    path("selskapsinnstillinger/api-nokler/", include("api.page_urls")),
    path("api/v1/", include("api.urls")),
    path("drift/", include("ops.urls")),
    path("webhooks/tripletex/<uuid:key>/", tripletex_webhook, name="tripletex_webhook"),
]
