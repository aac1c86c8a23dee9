from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("conditions/<slug:slug>/", views.condition_detail, name="condition_detail"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim_detail"),
]
