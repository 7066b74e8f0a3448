"""Top-level URL map: the agent UI, the API and Django's admin."""

from django.contrib import admin
from django.urls import include, path

from tanggap.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
    path("admin/webhooks/", include("tanggap.webhooks.urls")),
    path("", include("tanggap.web.urls")),
]
