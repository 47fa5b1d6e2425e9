from django.urls import path

app_name = "wizard"
urlpatterns: list = []
