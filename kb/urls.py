from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from api.views import api
from claims import views as claim_views
from kb.cache import cache_public_page
from kb.sitemaps import SITEMAPS, sitemap_page
from kb.views import favicon, healthz

urlpatterns = [
    path("", claim_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("sitemap.xml", cache_public_page(sitemap_page), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("api/", api.urls),
    path("", include("claims.urls")),
    path("", include("sources.urls")),
]
