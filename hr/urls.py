from django.urls import path

from . import views

app_name = "hr"
urlpatterns = [
    path("timeliste/", views.timesheet, name="timesheet"),
    path("godkjenning/", views.approvals, name="approvals"),
    path("godkjenning/behandle/", views.approvals_bulk, name="approvals_bulk"),
]
