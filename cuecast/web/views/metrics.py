"""`GET /metrics`: Prometheus's text format, for the operator's monitoring (docs/operations.md).

Not behind a sign-in: Prometheus has no session. With `CUECAST_METRICS_TOKEN` set it answers only
`Authorization: Bearer <token>`; without it, only clients on this machine.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import choose_encoder

from cuecast import config
from cuecast.publishing import metrics


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = config.load().metrics_token
    if not metrics.scrape_allowed(request.META, token):
        status, message = metrics.refusal(token)
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="cuecast-metrics"'
        return response
    # Prometheus's text format unless the scraper asks for OpenMetrics (its Accept header).
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(metrics.WebCollector()), content_type=content_type)
