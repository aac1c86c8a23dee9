from django.urls import path, re_path

from sources import views

app_name = "sources"

urlpatterns = [
    path("sources/", views.source_list, name="source_list"),
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("studies/", views.study_list, name="study_list"),
    path("studies/<slug:slug>/", views.study_detail, name="study_detail"),
    re_path(r"^studies/(?P<slug>[-\w]+)/cite\.(?P<fmt>ris|bib|json)$", views.study_cite, name="study_cite"),
    path("compare/", views.compare, name="compare"),
]
