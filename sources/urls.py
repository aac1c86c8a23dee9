from django.urls import path

from sources import views

app_name = "sources"

urlpatterns = [
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("studies/<slug:slug>/", views.study_detail, name="study_detail"),
]
