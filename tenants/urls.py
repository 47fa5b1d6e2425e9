from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("logg-inn/", views.LoginView.as_view(), name="login"),
    path("logg-ut/", views.logout_view, name="logout"),
    path("selskap/velg/", views.tenant_select, name="tenant_select"),
    path("selskapsinnstillinger/", views.company_settings, name="company_settings"),
]
