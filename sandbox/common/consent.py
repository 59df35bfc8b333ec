"""The HTML consent page every emulated OAuth authorize endpoint shows, and redirect helpers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.responses import HTMLResponse, RedirectResponse

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}}
.box{{border:1px solid #ccc;border-radius:8px;padding:1.5rem}} .muted{{color:#666;font-size:.9rem}}
label{{display:block;margin:.4rem 0}} button{{padding:.5rem 1.2rem;margin-right:.6rem}}
</style></head>
<body><div class="box">
<p class="muted">{network} sandbox &mdash; not the real service</p>
<h1>{heading}</h1>
<p>Requested permissions: <code>{scopes}</code></p>
<form method="post" action="{action}">
<fieldset><legend>Act as</legend>
{users}
</fieldset>
{hidden}
<p><button type="submit" name="decision" value="authorize" id="authorize">{authorize_label}</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form></div></body></html>
"""

ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


def consent_page(
    *,
    network: str,
    app_name: str,
    scopes: Sequence[str],
    users: Sequence[tuple[str, str]],  # (value, label)
    hidden: Mapping[str, str],
    action: str,
    authorize_label: str = "Authorize app",
) -> HTMLResponse:
    user_inputs = "\n".join(
        f'<label><input type="radio" name="user" value="{escape(value)}"'
        f"{' checked' if i == 0 else ''}> {escape(label)}</label>"
        for i, (value, label) in enumerate(users)
    )
    hidden_inputs = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    html = PAGE.format(
        title=escape(f"Authorize {app_name}"),
        network=escape(network),
        heading=escape(f"{app_name} wants to access your {network} account"),
        scopes=escape(" ".join(scopes)),
        action=escape(action),
        users=user_inputs,
        hidden=hidden_inputs,
        authorize_label=escape(authorize_label),
    )
    return HTMLResponse(html)


def error_page(title: str, message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(
        ERROR_PAGE.format(title=escape(title), message=escape(message)), status_code=status
    )


def redirect_with(
    uri: str, params: Mapping[str, str | None], status: int = 302
) -> RedirectResponse:
    """Redirect to ``uri`` with ``params`` added to its query string."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(
        urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment)),
        status_code=status,
    )
