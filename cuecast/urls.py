from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from cuecast.api.urls import urlpatterns as api_urlpatterns
from cuecast.web.health import healthz
from cuecast.web.views.metrics import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # Uploaded media, public under unguessable names: Instagram and Threads fetch images from here.
    re_path(
        r"^media/(?P<path>uploads/[0-9a-f]{32}\.[a-z0-9]{1,8})$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    *api_urlpatterns,
    path("", include("cuecast.web.urls")),
]
