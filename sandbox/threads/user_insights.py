"""A Threads user's own insights: GET /{threads-user-id}/threads_insights?metric=…
(documentation/threads/insights, "User Insights"). `followers_count` is the current total
(`total_value`, whatever the range); `views` are profile views per day; likes, replies,
reposts, quotes and clicks are totals over the range. No data before 13 April 2024."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.meta.account_insights import day_ends, day_entry, float_param
from sandbox.meta.graph import invalid_param, params_of, unsupported
from sandbox.threads.state import ThreadsState, ThreadsUser

USER_METRICS: dict[str, str] = {
    "views": "The number of times your profile was viewed.",
    "likes": "The number of likes on your posts.",
    "replies": "The number of replies on your posts.",
    "reposts": "The number of times your posts were reposted.",
    "quotes": "The number of times your posts were quoted.",
    "clicks": "The number of clicks on links in your posts.",
    "followers_count": "Your total number of followers on Threads.",
}
EARLIEST = 1712991600  # 13 April 2024: since/until before it are refused


async def user_insights(call: Call) -> Response:
    assert call.principal is not None
    params = params_of(call)
    metrics = params.list_param("metric")
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        ts = call.sandbox.net("threads", ThreadsState)
        me = call.principal.user_id or ""
        user = ts.users.get(me)
        if object_id not in ("me", me) or user is None:
            return unsupported("GET", object_id)
        if not metrics:
            return invalid_param("Param metric is required")
        for index, name in enumerate(metrics):
            if name not in USER_METRICS:
                return invalid_param(
                    f"metric[{index}] must be one of the following values: "
                    f"{', '.join(USER_METRICS)}"
                )
        since, until = float_param(params.get("since")), float_param(params.get("until"))
        if any(t is not None and t < EARLIEST for t in (since, until)):
            return invalid_param("since and until must not be before 1712991600")
        return JSONResponse({"data": [_entry(call, user, n, since, until) for n in metrics]})


def _entry(
    call: Call, user: ThreadsUser, name: str, since: float | None, until: float | None
) -> dict[str, Any]:
    value = user.figures.get(name, 0)
    if name == "views":
        ends = day_ends(call.now, since, until)
        return day_entry(user.id, name, value, ends, name, USER_METRICS[name])
    return {
        "name": name,
        "period": "day",
        "title": name,
        "description": USER_METRICS[name],
        "total_value": {"value": value},
        "id": f"{user.id}/insights/{name}/day",
    }
