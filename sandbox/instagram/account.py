"""An Instagram account's own insights: GET /{ig-user-id}/insights?metric=reach&period=day
(instagram-user/insights; `impressions` was retired on 21 April 2025)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.facebook.state import IgSeed
from sandbox.meta.account_insights import day_ends, day_entry, float_param
from sandbox.meta.graph import invalid_param, params_of

ACCOUNT_METRICS: dict[str, tuple[str, str]] = {
    "reach": ("Accounts reached", "The number of unique accounts that saw your content."),
    "views": ("Views", "The number of times your content was played or displayed."),
    "accounts_engaged": ("Accounts engaged", "The number of accounts that interacted."),
}
ACCOUNT_FIELDS = ("followers_count", "follows_count")
DEPRECATED_ACCOUNT_METRICS = ("impressions", "profile_views", "website_clicks")


def account_insights(call: Call, seed: IgSeed, metrics: list[str]) -> Response:
    params = params_of(call)
    if not metrics:
        return invalid_param("The parameter metric is required.")
    for index, name in enumerate(metrics):
        if name in DEPRECATED_ACCOUNT_METRICS or name not in ACCOUNT_METRICS:
            return invalid_param(
                f"metric[{index}] must be one of the following values: {', '.join(ACCOUNT_METRICS)}"
            )
    if (params.get("period") or "") != "day":
        return invalid_param("The parameter period must be day for these metrics.")
    ends = day_ends(call.now, float_param(params.get("since")), float_param(params.get("until")))
    data = [
        day_entry(seed.id, name, seed.figures.get(name, 0), ends, *ACCOUNT_METRICS[name])
        for name in metrics
    ]
    return JSONResponse({"data": data})
