"""The NinjaAPI instance for /api/v1: bearer API keys, one error shape, offline docs."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.operation import Operation

from cuecast.api import (
    ad_platforms,
    analytics,
    campaigns,
    channels,
    checks,
    errors,
    posts,
    series,
    workspace,
)
from cuecast.api.auth import ApiKeyAuth
from cuecast.api.docs import OfflineDocs

DESCRIPTION = """\
Cuecast's REST API. Authenticate every request with a workspace API key:
`Authorization: Bearer <key>`. Everything you see and change belongs to that key's workspace.

Errors always look like `{"detail": "<sentence>", "errors": [{"field": "...", "message": "..."}]}`.
Every POST accepts an `Idempotency-Key` header: a repeat returns the first answer.
"""


class CuecastAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return str(operation.view_func.__name__).removesuffix("_op")


api = CuecastAPI(
    title="Cuecast API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=OfflineDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("/channels", channels.router)
api.add_router("/campaigns", campaigns.router)
api.add_router("/campaigns", ad_platforms.campaign_router)  # cues, timeline, paid metrics
api.add_router("/ad-accounts", ad_platforms.accounts_router)
api.add_router("/imports", ad_platforms.imports_router)
api.add_router("/posts", posts.router)
api.add_router("/posts", checks.router)  # settle a target that needs your check
api.add_router("/workspace", workspace.router)  # the late policy for held posts
api.add_router("/analytics", analytics.router)  # reports: overview, campaigns, channels, posts
api.add_router("", series.router)  # /series, /channels/{id}/slots
