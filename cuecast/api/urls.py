from django.urls import URLPattern, URLResolver, path

from cuecast.api.docs import docs_asset
from cuecast.api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/docs/assets/<str:name>", docs_asset, name="api-docs-asset"),
    path("api/v1/", api.urls),
]
