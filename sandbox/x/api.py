"""X API v2 user-context endpoints: users/me, create, look up, delete and list posts."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.figures import read_figures
from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call
from sandbox.x import errors, media
from sandbox.x.counting import weighted_length
from sandbox.x.state import (
    NON_PUBLIC_METRICS,
    ORGANIC_METRICS,
    PUBLIC_METRICS,
    USER_METRICS,
    WINDOW_24_H,
    Tweet,
    XState,
    XUser,
)

ID_RE = re.compile(r"^[0-9]{1,19}$")
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
BOOL_FIELDS = (
    "for_super_followers_only",
    "nullcast",
    "made_with_ai",
    "paid_partnership",
    "share_with_followers",
)
STR_FIELDS = ("card_uri", "direct_message_deep_link")
THIRTY_DAYS = 30 * 24 * 3600


def _x(call: Call) -> XState:
    return call.sandbox.net("x", XState)


def iso(ts: float) -> str:
    return (
        datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(ts * 1000) % 1000:03d}Z"
    )


def render_user(user: XUser, fields: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    if "created_at" in fields:
        data["created_at"] = user.created_at
    if "protected" in fields:
        data["protected"] = False
    if "verified" in fields:
        data["verified"] = False
    if "public_metrics" in fields:
        data["public_metrics"] = read_figures(user.figures, USER_METRICS)
    return data


def render_tweet(
    tweet: Tweet, fields: set[str], viewer_id: str | None, now: float
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": tweet.id,
        "text": tweet.text,
        "edit_history_tweet_ids": [tweet.id],
    }
    if "created_at" in fields:
        data["created_at"] = iso(tweet.created_at)
    if "author_id" in fields:
        data["author_id"] = tweet.author_id
    if "conversation_id" in fields:
        data["conversation_id"] = tweet.conversation_id
    if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
        data["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if "referenced_tweets" in fields:
        refs = []
        if tweet.in_reply_to_tweet_id:
            refs.append({"type": "replied_to", "id": tweet.in_reply_to_tweet_id})
        if tweet.quote_tweet_id:
            refs.append({"type": "quoted", "id": tweet.quote_tweet_id})
        if refs:
            data["referenced_tweets"] = refs
    if "attachments" in fields and tweet.media_ids:
        keys = tweet.media_keys or [f"3_{m}" for m in tweet.media_ids]
        data["attachments"] = {"media_keys": keys}
    if "reply_settings" in fields:
        data["reply_settings"] = tweet.reply_settings
    if "public_metrics" in fields:
        public = {name: int(tweet.metrics.get(name, 0)) for name in PUBLIC_METRICS}
        public["repost_count"] = public["retweet_count"]  # the OpenAPI spec's newer name
        data["public_metrics"] = public
    owner_recent = viewer_id == tweet.author_id and now - tweet.created_at <= THIRTY_DAYS
    if "non_public_metrics" in fields and owner_recent:
        data["non_public_metrics"] = {n: int(tweet.metrics.get(n, 0)) for n in NON_PUBLIC_METRICS}
    if "organic_metrics" in fields and owner_recent:
        data["organic_metrics"] = {n: int(tweet.metrics.get(n, 0)) for n in ORGANIC_METRICS}
    return data


def _fields(call: Call, name: str) -> set[str]:
    raw = call.request.query_params.get(name, "")
    return {f.strip() for f in raw.split(",") if f.strip()}


def _viewer(call: Call) -> str | None:
    return call.principal.user_id if call.principal else None


def _includes(xs: XState, tweets: list[Tweet], call: Call) -> dict[str, Any]:
    if "author_id" not in _fields(call, "expansions"):
        return {}
    user_fields = _fields(call, "user.fields")
    seen: dict[str, dict[str, Any]] = {}
    for tweet in tweets:
        user = xs.users.get(tweet.author_id)
        if user is not None:
            seen[user.id] = render_user(user, user_fields)
    return {"includes": {"users": list(seen.values())}} if seen else {}


async def users_me(call: Call) -> Response:
    with call.sandbox.lock:
        xs = _x(call)
        user = xs.users[_viewer(call) or ""]
        return JSONResponse({"data": render_user(user, _fields(call, "user.fields"))})


def _validate_create(body: Any) -> list[dict[str, Any]]:
    """Check a create body against x-openapi.json's CreatePostsRequest (hand-written)."""
    problems: list[dict[str, Any]] = []

    def bad(path: str, message: str) -> None:
        problems.append({"message": f"$.{path}: {message}"})

    if not isinstance(body, dict):
        return [{"message": "$: must be a JSON object"}]
    allowed = {
        "text",
        "media",
        "reply",
        "quote_tweet_id",
        "poll",
        "reply_settings",
        "geo",
        "community_id",
        "edit_options",
        *BOOL_FIELDS,
        *STR_FIELDS,
    }
    for key in body:
        if key not in allowed:
            bad(
                key,
                "is not defined in the schema and the schema does not allow additional properties",
            )
    if "text" in body and not isinstance(body["text"], str):
        bad("text", "must be a string")
    for key in BOOL_FIELDS:
        if key in body and not isinstance(body[key], bool):
            bad(key, "must be a boolean")
    for key in STR_FIELDS:
        if key in body and not isinstance(body[key], str):
            bad(key, "must be a string")
    for key in ("quote_tweet_id", "community_id"):
        if key in body and not (isinstance(body[key], str) and ID_RE.match(body[key])):
            bad(key, "does not match the regex pattern ^[0-9]{1,19}$")
    if "reply_settings" in body and body["reply_settings"] not in REPLY_SETTINGS:
        bad("reply_settings", f"does not have a value in the enumeration {list(REPLY_SETTINGS)}")
    _validate_media(body.get("media"), "media" in body, bad)
    _validate_reply(body.get("reply"), "reply" in body, bad)
    _validate_poll(body.get("poll"), "poll" in body, bad)
    for key, inner in (("geo", "place_id"), ("edit_options", "previous_post_id")):
        if key in body and (not isinstance(body[key], dict) or set(body[key]) - {inner}):
            bad(key, f"must be an object with only '{inner}'")
    return problems


def _id_list(value: Any, low: int, high: int) -> bool:
    return (
        isinstance(value, list)
        and low <= len(value) <= high
        and all(isinstance(v, str) and ID_RE.match(v) for v in value)
    )


def _validate_media(media: Any, present: bool, bad: Any) -> None:
    if not present:
        return
    keys = {
        "media_ids",
        "tagged_user_ids",
        "description",
        "title",
        "embeddable",
        "preview_media_id",
        "call_to_actions",
    }
    if not isinstance(media, dict) or "media_ids" not in media or set(media) - keys:
        bad("media", "must be an object with 'media_ids'")
        return
    if not _id_list(media["media_ids"], 1, 4):
        bad("media.media_ids", "must be 1 to 4 numeric id strings")
    if "tagged_user_ids" in media and not _id_list(media["tagged_user_ids"], 0, 10):
        bad("media.tagged_user_ids", "must be at most 10 numeric id strings")


def _validate_reply(reply: Any, present: bool, bad: Any) -> None:
    if not present:
        return
    keys = {"in_reply_to_tweet_id", "exclude_reply_user_ids", "auto_populate_reply_metadata"}
    if not isinstance(reply, dict) or set(reply) - keys:
        bad("reply", "must be an object with 'in_reply_to_tweet_id'")
        return
    target = reply.get("in_reply_to_tweet_id")
    if not (isinstance(target, str) and ID_RE.match(target)):
        bad("reply.in_reply_to_tweet_id", "is required and must match ^[0-9]{1,19}$")
    if "exclude_reply_user_ids" in reply and not _id_list(reply["exclude_reply_user_ids"], 0, 50):
        bad("reply.exclude_reply_user_ids", "must be numeric id strings")


def _validate_poll(poll: Any, present: bool, bad: Any) -> None:
    if not present:
        return
    if not isinstance(poll, dict) or set(poll) - {"options", "duration_minutes", "reply_settings"}:
        bad("poll", "must be an object with 'options' and 'duration_minutes'")
        return
    options = poll.get("options")
    if not (
        isinstance(options, list)
        and 2 <= len(options) <= 4
        and all(isinstance(o, str) and 1 <= len(o) <= 25 for o in options)
    ):
        bad("poll.options", "must be 2 to 4 strings of 1 to 25 characters")
    minutes = poll.get("duration_minutes")
    if not (isinstance(minutes, int) and not isinstance(minutes, bool) and 5 <= minutes <= 10080):
        bad("poll.duration_minutes", "must be an integer from 5 to 10080")


def _tweet_limits(call: Call, xs: XState, user_id: str, client_id: str) -> bool:
    """Count the 24-hour user and app limits of POST /2/tweets; True when exceeded."""
    now = call.now
    user = xs.limiter.hit(("24h-user", user_id), xs.config.tweets_user_24h, WINDOW_24_H, now)
    app = xs.limiter.hit(("24h-app", client_id), xs.config.tweets_app_24h, WINDOW_24_H, now)
    for prefix, result in (("x-user-limit-24hour", user), ("x-app-limit-24hour", app)):
        call.headers[f"{prefix}-limit"] = str(result.limit)
        call.headers[f"{prefix}-remaining"] = str(result.remaining)
        call.headers[f"{prefix}-reset"] = str(int(result.reset_at))
    return user.exceeded or app.exceeded


async def create_tweet(call: Call) -> Response:
    raw = await call.request.body()
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return errors.invalid_request([{"message": "Request body is not valid JSON."}])
    problems = _validate_create(body)
    if problems:
        return errors.invalid_request(problems)
    assert call.principal is not None and call.principal.user_id is not None
    user_id = call.principal.user_id
    with call.sandbox.lock:
        xs = _x(call)
        if _tweet_limits(call, xs, user_id, call.principal.token.client_id):
            return errors.too_many_requests()
        text = unicodedata.normalize("NFC", body.get("text", ""))
        media_ids = list(body.get("media", {}).get("media_ids", []))
        if not text.strip() and not media_ids and "poll" not in body:
            return errors.invalid_request([errors.param_error("text", text, "Post text is empty.")])
        if weighted_length(text) > xs.config.max_weighted_length:
            return errors.invalid_request(
                [errors.param_error("text", text, "Your Post text is too long.")]
            )
        attached, refused = media.check_post_media(xs, user_id, media_ids, call.now)
        if refused is not None:
            return refused
        reply_to = body.get("reply", {}).get("in_reply_to_tweet_id")
        parent = xs.live_tweet(reply_to) if reply_to else None
        if reply_to and parent is None:
            return errors.forbidden(
                "You attempted to reply to a Tweet that is deleted or not visible to you."
            )
        quote_id = body.get("quote_tweet_id")
        if quote_id and xs.live_tweet(quote_id) is None:
            return errors.forbidden(
                "You attempted to quote a Tweet that is deleted or not visible to you."
            )
        if text.strip() and _is_duplicate(xs, user_id, text, call.now):
            return errors.forbidden("You are not allowed to create a Tweet with duplicate content.")
        tweet_id = xs.ids.next()
        tweet = Tweet(
            id=tweet_id,
            author_id=user_id,
            text=text,
            created_at=call.now,
            conversation_id=parent.conversation_id if parent else tweet_id,
            in_reply_to_tweet_id=reply_to,
            in_reply_to_user_id=parent.author_id if parent else None,
            quote_tweet_id=quote_id,
            media_ids=media_ids,
            media_keys=[m.media_key for m in attached],
            poll=body.get("poll"),
            reply_settings=body.get("reply_settings", "everyone"),
        )
        xs.tweets[tweet_id] = tweet
        call.sandbox.logs.record_post(
            ReceivedPost(
                network="x",
                user=xs.users[user_id].username,
                user_id=user_id,
                id=tweet_id,
                text=text,
                created_at=iso(tweet.created_at),
                in_reply_to_id=reply_to,
                media_ids=media_ids,
                extra=_received_extra(body, attached),
            )
        )
    return JSONResponse({"data": {"id": tweet_id, "text": text}}, status_code=201)


def _received_extra(body: dict[str, Any], attached: list[Any]) -> dict[str, Any]:
    extra = {k: v for k, v in body.items() if k not in ("text", "media", "reply")}
    if attached:
        extra["media"] = media.received_media(attached)
        extra["alt_texts"] = [m.alt_text for m in attached]
        tagged = body.get("media", {}).get("tagged_user_ids")
        if tagged:
            extra["tagged_user_ids"] = list(tagged)
    return extra


def _is_duplicate(xs: XState, user_id: str, text: str, now: float) -> bool:
    window = xs.config.duplicate_window_seconds
    return any(
        t.author_id == user_id and not t.deleted and t.text == text and now - t.created_at < window
        for t in xs.tweets.values()
    )


async def get_tweet(call: Call) -> Response:
    tweet_id = call.request.path_params["id"]
    if not ID_RE.match(tweet_id):
        return errors.invalid_request(
            [errors.param_error("id", tweet_id, "The `id` query parameter value is not valid")]
        )
    with call.sandbox.lock:
        xs = _x(call)
        tweet = xs.live_tweet(tweet_id)
        if tweet is None:
            return JSONResponse({"errors": [errors.not_found("tweet", "id", tweet_id)]})
        body = {"data": render_tweet(tweet, _fields(call, "tweet.fields"), _viewer(call), call.now)}
        body.update(_includes(xs, [tweet], call))
    return JSONResponse(body)


async def get_tweets(call: Call) -> Response:
    raw = call.request.query_params.get("ids", "")
    ids = [i.strip() for i in raw.split(",") if i.strip()]
    if not 1 <= len(ids) <= 100 or not all(ID_RE.match(i) for i in ids):
        return errors.invalid_request(
            [errors.param_error("ids", raw, "The `ids` query parameter value is not valid")]
        )
    with call.sandbox.lock:
        xs = _x(call)
        fields = _fields(call, "tweet.fields")
        found = [t for t in (xs.live_tweet(i) for i in ids) if t is not None]
        body: dict[str, Any] = {}
        if found:
            body["data"] = [render_tweet(t, fields, _viewer(call), call.now) for t in found]
        missing = [i for i in ids if xs.live_tweet(i) is None]
        if missing:
            body["errors"] = [errors.not_found("tweet", "ids", i) for i in missing]
        body.update(_includes(xs, found, call))
    return JSONResponse(body)


async def delete_tweet(call: Call) -> Response:
    tweet_id = call.request.path_params["id"]
    with call.sandbox.lock:
        xs = _x(call)
        tweet = xs.live_tweet(tweet_id)
        if tweet is None:
            return JSONResponse({"errors": [errors.not_found("tweet", "id", tweet_id)]})
        if tweet.author_id != _viewer(call):
            return errors.forbidden("You are not allowed to delete this Tweet.")
        tweet.deleted = True
    return JSONResponse({"data": {"deleted": True}})


def _encode_token(tweet_id: str) -> str:
    return base64.b32hexencode(tweet_id.encode()).decode().rstrip("=").lower()


def _decode_token(token: str) -> str | None:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        value = base64.b32hexdecode(padded).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return value if ID_RE.match(value) else None


def _parse_time(value: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


async def user_tweets(call: Call) -> Response:
    params = call.request.query_params
    user_id = call.request.path_params["id"]
    problems = []
    try:
        max_results = int(params.get("max_results", "10"))
    except ValueError:
        max_results = -1
    if not 5 <= max_results <= 100:
        problems.append(
            errors.param_error(
                "max_results",
                params.get("max_results"),
                f"The `max_results` query parameter value [{params.get('max_results')}] is not "
                "between 5 and 100",
            )
        )
    bounds: dict[str, float] = {}
    for name in ("start_time", "end_time"):
        if name in params:
            parsed = _parse_time(params[name])
            if parsed is None:
                problems.append(errors.param_error(name, params[name], f"Invalid {name}"))
            else:
                bounds[name] = parsed
    cursor = None
    if "pagination_token" in params:
        cursor = _decode_token(params["pagination_token"])
        if cursor is None:
            problems.append(
                errors.param_error(
                    "pagination_token", params["pagination_token"], "Invalid pagination token"
                )
            )
    if not ID_RE.match(user_id):
        problems.append(
            errors.param_error("id", user_id, "The `id` query parameter value is not valid")
        )
    if problems:
        return errors.invalid_request(problems)
    with call.sandbox.lock:
        xs = _x(call)
        if user_id not in xs.users:
            return JSONResponse({"errors": [errors.not_found("user", "id", user_id)]})
        tweets = sorted(
            (t for t in xs.tweets.values() if t.author_id == user_id and not t.deleted),
            key=lambda t: int(t.id),
            reverse=True,
        )
        tweets = [
            t
            for t in tweets
            if _in_bounds(t, bounds, params.get("since_id"), params.get("until_id"))
        ]
        if cursor is not None:
            tweets = [t for t in tweets if int(t.id) < int(cursor)]
        page, rest = tweets[:max_results], tweets[max_results:]
        fields = _fields(call, "tweet.fields")
        body: dict[str, Any] = {}
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            body["data"] = [render_tweet(t, fields, _viewer(call), call.now) for t in page]
            meta["newest_id"] = page[0].id
            meta["oldest_id"] = page[-1].id
            if rest:
                meta["next_token"] = _encode_token(page[-1].id)
        body["meta"] = meta
        body.update(_includes(xs, page, call))
    return JSONResponse(body)


def _in_bounds(t: Tweet, bounds: dict[str, float], since: str | None, until: str | None) -> bool:
    if "start_time" in bounds and t.created_at < bounds["start_time"]:
        return False
    if "end_time" in bounds and t.created_at > bounds["end_time"]:
        return False
    if since and ID_RE.match(since) and int(t.id) <= int(since):
        return False
    return not (until and ID_RE.match(until) and int(t.id) >= int(until))
