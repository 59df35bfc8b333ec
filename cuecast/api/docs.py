"""The API docs page, served without any CDN: Swagger UI from the files django-ninja ships in its
wheel, served by our own view (so `ninja` need not be in INSTALLED_APPS), plus a plain list of
the endpoints rendered on the server for readers without JavaScript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-init.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# Everything the page needs comes from this server; the browser refuses anything else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
METHODS = ("get", "post", "put", "patch", "delete")


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


class OfflineDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        schema = api.get_openapi_schema(path_params=kwargs)
        endpoints = [
            {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
            for path, operations in schema["paths"].items()
            for method, operation in operations.items()
            if method in METHODS
        ]
        settings = {
            "url": openapi_url,
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,  # Swagger UI would otherwise call validator.swagger.io
        }
        context = {
            "title": api.title,
            "version": api.version,
            "openapi_url": openapi_url,
            "endpoints": endpoints,
            # Escaped so the JSON can never close its <script> element.
            "swagger_settings": json.dumps(settings).replace("<", "\\u003c"),
            "css_url": reverse("api-docs-asset", args=["swagger-ui.css"]),
            "bundle_url": reverse("api-docs-asset", args=["swagger-ui-bundle.js"]),
            "init_url": reverse("api-docs-asset", args=["swagger-ui-init.js"]),
            "icon_url": reverse("api-docs-asset", args=["favicon.png"]),
        }
        response = HttpResponse(render_to_string("api/docs.html", context, request=request))
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
