"""``com.atproto.repo.*``: records (create, put, get, list, delete) and blobs (uploadBlob, getBlob)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.bluesky.ids import blob_cid, record_cid, valid_record_key, valid_tid
from sandbox.bluesky.session import bs_of
from sandbox.bluesky.state import POST, Account, Blob, BlueskyState, Record, Repo
from sandbox.bluesky.validate import BlobUse, PostCheck, accepted, format_bytes, parse_blob
from sandbox.bluesky.xrpc import (
    XrpcError,
    error,
    int_param,
    invalid,
    json_body,
    param,
    require_str,
)
from sandbox.common.logs import ReceivedPost
from sandbox.common.network import Call

NSID_RE = re.compile(
    r"^[a-zA-Z]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)+\.[a-zA-Z]{1,63}$"
)
KNOWN_LEXICONS = (POST,)


def iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- shared checks ------------------------------------------------------------------------------
def _own_repo(call: Call, bs: BlueskyState, repo: str) -> Account:
    account = bs.account(repo)
    if account is None:
        raise invalid(f"Could not find repo: {repo}")
    assert call.principal is not None
    if account.did != call.principal.user_id:
        raise XrpcError(401)
    return account


def _collection(body: dict[str, Any]) -> str:
    collection = require_str(body, "collection")
    if not NSID_RE.match(collection):
        raise invalid("Input/collection must be a valid nsid")
    return collection


def _rkey(value: Any, required: bool) -> str | None:
    if value is None:
        if required:
            raise invalid('Input must have the property "rkey"')
        return None
    if not isinstance(value, str):
        raise invalid("Input/rkey must be a string")
    if len(value) > 512 or not valid_record_key(value):
        raise invalid("Input/rkey must be a valid Record Key")
    return value


def _check_tid(bs: BlueskyState, rkey: str) -> None:
    """Sandbox check (the reference PDS only checks record-key syntax): post keys are TIDs."""
    if bs.config.require_tid_rkey and not valid_tid(rkey):
        raise invalid(
            f"Invalid {POST} record key: {rkey!r} is not a TID (13 characters of "
            "base32-sortable, e.g. 3jzfcijpj2z2a) [sandbox check]"
        )


def _validate_flag(body: dict[str, Any]) -> bool | None:
    value = body.get("validate")
    if value is not None and not isinstance(value, bool):
        raise invalid("Input/validate must be a boolean")
    return value


def _prepare(
    bs: BlueskyState, collection: str, raw: Any, validate: bool | None
) -> tuple[dict[str, Any], str, list[BlobUse]]:
    """The record to store (``$type`` filled in), its validationStatus and the blobs it uses."""
    if raw is None:
        raise invalid('Input must have the property "record"')
    if not isinstance(raw, dict):
        raise invalid("Input/record must be an object")
    record = copy.deepcopy(raw)
    if not record.get("$type"):
        record["$type"] = collection
    if validate is not False and record["$type"] != collection:
        raise invalid(f"Invalid $type: expected {collection}, got {record['$type']}")
    if validate is False or collection not in KNOWN_LEXICONS:
        if validate is True:
            raise invalid(f"Lexicon not found: lex:{collection}")
        return record, "unknown", _any_blobs(record, "Record")
    check = PostCheck(bs.config)
    check.record(record)
    return record, "valid", check.blobs


def _any_blobs(value: Any, path: str) -> list[BlobUse]:
    """Blob refs anywhere in an unvalidated record (they must still exist)."""
    found: list[BlobUse] = []
    parsed = parse_blob(value)
    if parsed is not None:
        cid, mime, size = parsed
        return [BlobUse(path, cid, mime, size, (), 0)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _any_blobs(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _any_blobs(item, f"{path}/{i}")
    return found


def _check_blobs(bs: BlueskyState, did: str, uses: list[BlobUse]) -> None:
    for use in uses:
        blob = bs.blobs.get((did, use.cid))
        if blob is None:
            raise invalid(f"Could not find blob: {use.cid}", "BlobNotFound")
        if use.max_size and blob.size > use.max_size:
            raise invalid(
                f"This file is too large. It is {format_bytes(blob.size)} but the maximum "
                f"size is {format_bytes(use.max_size)}.",
                "BlobTooLarge",
            )
        if use.mime_type != blob.mime_type:
            raise invalid(
                "Referenced Mimetype does not match stored blob. "
                f"Expected: {blob.mime_type}, Got: {use.mime_type}",
                "InvalidMimeType",
            )
        if use.accept and not accepted(use.mime_type, use.accept):
            raise invalid(
                f"Wrong type of file. It is {use.mime_type} but it must match "
                f"{','.join(use.accept)}.",
                "InvalidMimeType",
            )


def _swap_commit(repo: Repo, body: dict[str, Any]) -> None:
    swap = body.get("swapCommit")
    if swap is not None and swap != repo.head:
        raise invalid(f"Commit was at {repo.head or 'null'}", "InvalidSwap")


def _commit(bs: BlueskyState, repo: Repo, now: float) -> dict[str, str]:
    repo.rev = bs.tids.next(now)
    state = sorted((f"{c}/{k}", r.cid) for (c, k), r in repo.records.items())
    repo.head = record_cid({"did": repo.did, "rev": repo.rev, "data": state, "prev": repo.head})
    return {"cid": repo.head, "rev": repo.rev}


def _duplicate(bs: BlueskyState, record: Record) -> Response:
    if bs.config.duplicate_rkey == "invalid_request":
        return error(400, f"Record already exists: {record.uri}")
    # the reference PDS: the repository MST refuses the key and the error surfaces as a 500
    return error(500)


def _log_post(call: Call, account: Account, record: Record, via: str) -> None:
    value = record.value
    reply = value.get("reply") if isinstance(value.get("reply"), dict) else None
    parent = reply.get("parent") if reply else None
    embed = value.get("embed")
    media = [use.cid for use in _any_blobs(embed, "embed")] if embed is not None else []
    call.sandbox.logs.record_post(
        ReceivedPost(
            network="bluesky",
            user=account.handle,
            user_id=account.did,
            id=record.uri,
            text=str(value.get("text", "")),
            created_at=iso(record.created_at),
            in_reply_to_id=str(parent.get("uri")) if isinstance(parent, dict) else None,
            media_ids=media,
            extra={
                "rkey": record.rkey,
                "uri": record.uri,
                "cid": record.cid,
                "collection": record.collection,
                "facets": value.get("facets"),
                "embed": embed,
                "reply": reply,
                "langs": value.get("langs"),
                "createdAt": value.get("createdAt"),
                "via": via,
            },
        )
    )


# --- procedures ---------------------------------------------------------------------------------
async def create_record(call: Call) -> Response:
    try:
        body = await json_body(call.request)
        repo_id = require_str(body, "repo")
        collection = _collection(body)
        rkey = _rkey(body.get("rkey"), required=False)
        validate = _validate_flag(body)
    except XrpcError as exc:
        return exc.response()
    with call.sandbox.lock:
        bs = bs_of(call)
        now = call.now
        try:
            account = _own_repo(call, bs, repo_id)
            record_value, status, blobs = _prepare(bs, collection, body.get("record"), validate)
            if rkey is not None and collection == POST:
                _check_tid(bs, rkey)
            repo = bs.repo(account.did)
            rkey = rkey or bs.tids.next(now)
            existing = repo.records.get((collection, rkey))
            if existing is not None:
                return _duplicate(bs, existing)
            _swap_commit(repo, body)
            _check_blobs(bs, account.did, blobs)
        except XrpcError as exc:
            return exc.response()
        record = Record(
            did=account.did,
            collection=collection,
            rkey=rkey,
            cid=record_cid(record_value),
            value=record_value,
            created_at=now,
        )
        repo.records[(collection, rkey)] = record
        commit = _commit(bs, repo, now)
        if collection == POST:
            _log_post(call, account, record, "createRecord")
        return JSONResponse(
            {"uri": record.uri, "cid": record.cid, "commit": commit, "validationStatus": status}
        )


async def put_record(call: Call) -> Response:
    try:
        body = await json_body(call.request)
        repo_id = require_str(body, "repo")
        collection = _collection(body)
        rkey = _rkey(body.get("rkey"), required=True)
        validate = _validate_flag(body)
    except XrpcError as exc:
        return exc.response()
    assert rkey is not None
    with call.sandbox.lock:
        bs = bs_of(call)
        now = call.now
        try:
            account = _own_repo(call, bs, repo_id)
            record_value, status, blobs = _prepare(bs, collection, body.get("record"), validate)
            repo = bs.repo(account.did)
            current = repo.records.get((collection, rkey))
            if current is None and collection == POST:
                _check_tid(bs, rkey)
            if "swapRecord" in body:
                swap = body["swapRecord"]
                have = current.cid if current is not None else None
                if swap != have:
                    raise invalid(f"Record was at {have or 'null'}", "InvalidSwap")
            _swap_commit(repo, body)
            _check_blobs(bs, account.did, blobs)
        except XrpcError as exc:
            return exc.response()
        cid = record_cid(record_value)
        if current is not None:
            current.value, current.cid = record_value, cid
            record = current
        else:
            record = Record(account.did, collection, rkey, cid, record_value, now)
            repo.records[(collection, rkey)] = record
        commit = _commit(bs, repo, now)
        if current is None and collection == POST:
            _log_post(call, account, record, "putRecord")
        return JSONResponse(
            {"uri": record.uri, "cid": record.cid, "commit": commit, "validationStatus": status}
        )


async def delete_record(call: Call) -> Response:
    try:
        body = await json_body(call.request)
        repo_id = require_str(body, "repo")
        collection = _collection(body)
        rkey = _rkey(body.get("rkey"), required=True)
    except XrpcError as exc:
        return exc.response()
    with call.sandbox.lock:
        bs = bs_of(call)
        try:
            account = _own_repo(call, bs, repo_id)
            repo = bs.repo(account.did)
            current = repo.records.get((collection, str(rkey)))
            if current is None:
                return JSONResponse({})  # no-op, as on the reference PDS
            swap = body.get("swapRecord")
            if swap is not None and swap != current.cid:
                raise invalid(f"Record was at {current.cid}", "InvalidSwap")
            _swap_commit(repo, body)
        except XrpcError as exc:
            return exc.response()
        del repo.records[(collection, str(rkey))]
        return JSONResponse({"commit": _commit(bs, repo, call.now)})


# --- queries ------------------------------------------------------------------------------------
def record_json(record: Record) -> dict[str, Any]:
    return {"uri": record.uri, "cid": record.cid, "value": record.value}


async def get_record(call: Call) -> Response:
    request = call.request
    try:
        repo_id = param(request, "repo") or ""
        collection = param(request, "collection") or ""
        rkey = param(request, "rkey") or ""
    except XrpcError as exc:
        return exc.response()
    cid = request.query_params.get("cid")
    with call.sandbox.lock:
        bs = bs_of(call)
        account = bs.account(repo_id)
        if account is None:
            return error(400, f"Could not find repo: {repo_id}")
        record = bs.repo(account.did).records.get((collection, rkey))
        if record is None or (cid is not None and cid != record.cid):
            uri = f"at://{account.did}/{collection}/{rkey}"
            return error(400, f"Could not locate record: {uri}", "RecordNotFound")
        return JSONResponse(record_json(record))


async def list_records(call: Call) -> Response:
    request = call.request
    try:
        repo_id = param(request, "repo") or ""
        collection = param(request, "collection") or ""
        limit = int_param(request, "limit", 50, 1, 100)
        reverse_raw = request.query_params.get("reverse", "false").lower()
        if reverse_raw not in ("true", "false"):
            raise invalid("Params/reverse must be a boolean")
    except XrpcError as exc:
        return exc.response()
    reverse = reverse_raw == "true"
    cursor = request.query_params.get("cursor")
    with call.sandbox.lock:
        bs = bs_of(call)
        account = bs.account(repo_id)
        if account is None:
            return error(400, f"Could not find repo: {repo_id}")
        records = sorted(
            (r for (c, _), r in bs.repo(account.did).records.items() if c == collection),
            key=lambda r: r.rkey,
            reverse=not reverse,  # newest (highest rkey) first unless reverse=true
        )
        if cursor:
            records = [r for r in records if (r.rkey > cursor if reverse else r.rkey < cursor)]
        page = records[:limit]
        body: dict[str, Any] = {"records": [record_json(r) for r in page]}
        if page:
            body["cursor"] = page[-1].rkey
        return JSONResponse(body)


# --- blobs --------------------------------------------------------------------------------------
def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


async def upload_blob(call: Call) -> Response:
    assert call.principal is not None and call.principal.user_id is not None
    ctype = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not ctype:
        return error(400, "Request encoding (Content-Type) required but not provided")
    with call.sandbox.lock:
        limit = bs_of(call).config.blob_upload_limit
    declared = call.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return error(413, "request entity too large")
    data = await call.request.body()
    if len(data) > limit:
        return error(413, "request entity too large")
    mime = sniff(data) or ctype
    cid = blob_cid(data)
    with call.sandbox.lock:
        bs = bs_of(call)
        did = call.principal.user_id
        bs.blobs[(did, cid)] = Blob(cid, did, mime, len(data), data, call.now)
    return JSONResponse(
        {
            "blob": {
                "$type": "blob",
                "ref": {"$link": cid},
                "mimeType": mime,
                "size": len(data),
            }
        }
    )


async def get_blob(call: Call) -> Response:
    try:
        did = param(call.request, "did") or ""
        cid = param(call.request, "cid") or ""
    except XrpcError as exc:
        return exc.response()
    with call.sandbox.lock:
        blob = bs_of(call).blobs.get((did, cid))
        if blob is None:
            return error(400, "Blob not found", "BlobNotFound")
        return Response(blob.data, media_type=blob.mime_type)
