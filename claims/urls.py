from django.urls import path, re_path

from claims import downloads, feeds, views

app_name = "claims"

urlpatterns = [
    path("conditions/", views.condition_list, name="condition_list"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition_detail"),
    path("conditions/<slug:slug>/claims.csv", downloads.condition_csv, name="condition_csv"),
    re_path(
        r"^conditions/(?P<slug>[-\w]+)/cite\.(?P<fmt>ris|bib|json)$", downloads.condition_cite, name="condition_cite"
    ),
    path("conditions/<slug:slug>/feed.atom", feeds.ConditionChangesFeed(), name="condition_feed"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim_detail"),
    re_path(r"^claims/(?P<slug>[-\w]+)/cite\.(?P<fmt>ris|bib|json)$", downloads.claim_cite, name="claim_cite"),
    path("feeds/claims.atom", feeds.ClaimChangesFeed(), name="feed"),
    path("disagreements/", views.disagreements, name="disagreements"),
    path("matrix/", views.matrix, name="matrix"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("search/", views.search_view, name="search"),
    path("about/grading/", views.about_grading, name="about_grading"),
]
