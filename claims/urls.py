from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("conditions/", views.condition_list, name="condition_list"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition_detail"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim_detail"),
    path("disagreements/", views.disagreements, name="disagreements"),
    path("matrix/", views.matrix, name="matrix"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("search/", views.search_view, name="search"),
    path("about/grading/", views.about_grading, name="about_grading"),
]
