from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from claims import views as claim_views

urlpatterns = [
    path("", claim_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("claims.urls")),
    path("", include("sources.urls")),
]
