from django.urls import path

from . import views

app_name = "wizard"
urlpatterns = [
    path("aktivering/", views.start, name="start"),
    path("aktivering/avbryt/", views.cancel, name="cancel"),
    path("aktivering/hent/<str:kind>/", views.fetch_retry, name="fetch_retry"),
    path("aktivering/ta-i-bruk-nokkel/", views.resume, name="resume"),
    path("aktivering/<slug:step>/", views.step, name="step"),
    path("fjern/", views.remove, name="remove"),
    path("historikk/", views.history, name="history"),
    path("logg/<int:run_id>/", views.run_log, name="run_log"),
]
