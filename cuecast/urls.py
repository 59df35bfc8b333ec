from django.urls import include, path

from cuecast.api.urls import urlpatterns as api_urlpatterns
from cuecast.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *api_urlpatterns,
    path("", include("cuecast.web.urls")),
]
