from django.urls import path

from . import views

app_name = "hr"
urlpatterns = [
    path("timeliste/", views.timesheet, name="timesheet"),
    path("godkjenning/", views.approvals, name="approvals"),
    path("godkjenning/behandle/", views.approvals_bulk, name="approvals_bulk"),
    path("prosjekter/", views.project_list, name="projects"),
    path("prosjekter/ny/", views.project_create, name="project_create"),
    path("prosjekter/<int:project_id>/", views.project_edit, name="project_edit"),
    path("prosjekter/<int:project_id>/slett/", views.project_delete, name="project_delete"),
    path("kunder/", views.customer_list, name="customers"),
    path("kunder/ny/", views.customer_create, name="customer_create"),
    path("kunder/<int:customer_id>/", views.customer_edit, name="customer_edit"),
    path("kunder/<int:customer_id>/slett/", views.customer_delete, name="customer_delete"),
    path("ansatte/", views.employee_list, name="employees"),
    path("ansatte/ny/", views.employee_create, name="employee_create"),
    path("ansatte/<int:employee_id>/", views.employee_edit, name="employee_edit"),
    path("ansatte/<int:employee_id>/sett-inaktiv/", views.employee_deactivate, name="employee_deactivate"),
]
