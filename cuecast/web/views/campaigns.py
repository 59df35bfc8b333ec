"""Campaigns and ad accounts: the list, a campaign's flight with its cues and posts, connecting ad
platforms, syncing them, and importing bulk / Editor files.

Connecting an ad platform is the channels' OAuth round trip (see `channels.py`): the flow's state
waits in the session, the callback finishes it, and when one consent grants several ad accounts
they wait in the session ENCRYPTED (they carry tokens) until the person picks which to add.
An uploaded import file waits in the session between its preview and the "Import" button, so what
is imported is exactly what was previewed.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cuecast import config, crypto
from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.campaigns import imports, selectors, services
from cuecast.campaigns import sync as campaign_sync
from cuecast.campaigns.apply import SyncReport
from cuecast.campaigns.models import AdAccount, Campaign, CampaignSource
from cuecast.campaigns.selectors import Timeline, TimelineTarget
from cuecast.campaigns.sources import registry
from cuecast.campaigns.sources.base import AdSource
from cuecast.channels.services import DbClientStore
from cuecast.networks import registry as network_registry
from cuecast.networks.errors import NetworkError
from cuecast.posts import scheduling
from cuecast.posts.models import CueEvent, ScheduleKind, TargetState
from cuecast.posts.services import ValidationFailed
from cuecast.web.access import Member, current_user, get_member
from cuecast.web.forms import _zone_choices
from cuecast.web.views.channels import _account_from_json, _account_to_json, _counted

SESSION_PREFIX = "ads-oauth:"
CHOICE_KEY = "ads-choice"
IMPORT_KEY = "ads-import"
MAX_IMPORT_BYTES = 10 * 1024 * 1024


# -- helpers ------------------------------------------------------------------------------------


def _source_or_404(key: str) -> AdSource:
    try:
        return registry.get(key)
    except registry.UnknownSource:
        raise Http404 from None


def _platform_names() -> dict[str, str]:
    return {key: source.descriptor.name for key, source in registry.sources().items()}


def ads_callback_url(platform: str) -> str:
    """The redirect URI registered with the ad platform: always the configured public address."""
    path = reverse("web:ads_oauth_callback", kwargs={"platform": platform})
    return f"{config.load().public_url}{path}"


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, exact (never through float), in the reader's number format:
    two decimals, or more when the platform gave more (a cost-per-click of 0.125)."""
    if amount is None:
        return ""
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()


def _base(member: Member, section: str = "campaigns") -> dict[str, Any]:
    return {"member": member, "workspace": member.workspace, "section": section}


# -- the campaigns list and a campaign by hand --------------------------------------------------


class CampaignForm(forms.Form):
    """A campaign entered by hand: its flight as wall-clock times in a zone."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    starts_at = forms.CharField(
        label=gettext_lazy("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.CharField(
        label=gettext_lazy("Ends (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=())

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _zone_choices()
        field.initial = zone

    def _instant(self, name: str) -> datetime | None:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return None
        try:
            return scheduling.localize(
                scheduling.parse_local(value), self.cleaned_data.get("timezone") or "UTC"
            )
        except scheduling.ScheduleError as exc:
            self.add_error(name, str(exc))
            return None

    def to_spec(self) -> services.CampaignSpec | None:
        starts, ends = self._instant("starts_at"), self._instant("ends_at")
        if starts is None or self.errors:
            return None
        return services.CampaignSpec(
            name=self.cleaned_data["name"],
            starts_at=starts,
            ends_at=ends,
            timezone=self.cleaned_data["timezone"],
        )


@login_required
@require_GET
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    names = _platform_names()
    rows = [
        {
            "campaign": c,
            "platform_name": _campaign_origin(c, names),
            "budget": money(c.budget_amount, c.currency),
            "last_sync": c.ad_account.last_synced_at if c.ad_account else None,
        }
        for c in Campaign.objects.filter(workspace=member.workspace).select_related("ad_account")
    ]
    context = {
        **_base(member),
        "rows": rows,
        "can_manage": member.actor.can(Action.MANAGE_CAMPAIGNS),
    }
    return render(request, "web/campaigns.html", context)


def _campaign_origin(campaign: Campaign, names: dict[str, str]) -> str:
    if campaign.platform:
        return names.get(campaign.platform, campaign.platform)
    return str(CampaignSource(campaign.source).label)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    can_manage = member.actor.can(Action.MANAGE_CAMPAIGNS)
    if request.method == "POST":
        form = CampaignForm(request.POST, zone=member.workspace.timezone)
        spec = form.to_spec() if form.is_valid() else None
        if spec is not None:
            try:
                campaign = services.create_campaign(member.actor, spec)
            except ValidationFailed as exc:
                for error in exc.errors:
                    form.add_error(
                        error.field if error.field in form.fields else None, error.message
                    )
            except PermissionDenied:
                form.add_error(None, _("Your role does not allow managing campaigns."))
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("web:campaign", slug=slug, campaign_id=campaign.pk)
    else:
        form = CampaignForm(zone=member.workspace.timezone)
    context = {**_base(member), "form": form, "can_manage": can_manage}
    return render(request, "web/campaign_new.html", context, status=400 if form.errors else 200)


# -- one campaign: its flight, cues, posts and paid metrics -------------------------------------


@dataclass(frozen=True)
class Marker:
    """Something placed on the timeline at `left` percent of its width."""

    at: datetime
    left: float
    kind: str  # a cue kind ("start", "end", "paused", …) or a target state
    label: str
    cause: str = ""
    link: str = ""  # "Write a post for this cue"
    target: TimelineTarget | None = None


def _window(points: list[datetime]) -> tuple[datetime, datetime]:
    """The span the timeline shows: the flight, widened to every cue and post, with a margin."""
    low, high = min(points), max(points)
    if high - low < timedelta(days=1):
        high = low + timedelta(days=1)
    margin = (high - low) * 0.04
    return low - margin, high + margin


def _left(at: datetime, low: datetime, high: datetime) -> float:
    return round(100 * (at - low) / (high - low), 3)


def _day_ticks(low: datetime, high: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Marks at local midnights; at most about a dozen, so long flights stay legible."""
    first = (low.astimezone(tz) + timedelta(days=1)).date()
    last = high.astimezone(tz).date()
    step = max(1, -(-((last - first).days + 1) // 12))
    ticks = []
    day: date = first
    while day <= last:
        at = datetime(day.year, day.month, day.day, tzinfo=tz)
        left = _left(at, low, high)
        if 2 <= left <= 96:  # a label at the very edge would be cut off
            ticks.append({"day": day, "left": left})
        day += timedelta(days=step)
    return ticks


def _cue_link(slug: str, campaign: Campaign, event: CueEvent) -> str:
    compose = reverse("web:compose", kwargs={"slug": slug})
    return f"{compose}?when={ScheduleKind.CUE.value}&campaign={campaign.pk}&cue_event={event.value}"


def _cue_markers(timeline: Timeline, slug: str) -> list[Marker]:
    """The flight's start and end (each with its "Write a post for this cue" link), then every
    cue the campaign has had, with its cause."""
    campaign = timeline.campaign
    found = [
        Marker(
            at=timeline.starts_at,
            left=0,
            kind="start",
            label=_("Start"),
            link=_cue_link(slug, campaign, CueEvent.START),
        )
    ]
    if timeline.ends_at is not None:
        found.append(
            Marker(
                at=timeline.ends_at,
                left=0,
                kind="end",
                label=_("End"),
                link=_cue_link(slug, campaign, CueEvent.END),
            )
        )
    for event in timeline.cues:
        found.append(
            Marker(
                at=event.at,
                left=0,
                kind=event.kind,
                label=event.get_kind_display(),
                cause=event.cause,
            )
        )
    return sorted(found, key=lambda m: m.at)


@login_required
@require_GET
def campaign_detail(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    member = get_member(request, slug)
    campaign = get_object_or_404(
        Campaign.objects.select_related("ad_account"), pk=campaign_id, workspace=member.workspace
    )
    timeline = selectors.campaign_timeline(campaign)
    tz = ZoneInfo(member.workspace.timezone)
    now = timezone.now()
    cues = _cue_markers(timeline, slug)
    dated = [t for t in timeline.targets if t.due_at is not None]
    points = [m.at for m in cues] + [t.due_at for t in dated if t.due_at is not None]
    low, high = _window(points)
    cues = [dataclasses.replace(m, left=_left(m.at, low, high)) for m in cues]
    networks = {k: n.descriptor.name for k, n in network_registry.networks().items()}
    states = dict(TargetState.choices)
    lanes: dict[int, dict[str, Any]] = {}
    for t in timeline.targets:
        lane = lanes.setdefault(
            t.channel_id,
            {"name": t.channel_name, "network": networks.get(t.network, t.network), "posts": []},
        )
        lane["posts"].append(
            Marker(
                at=t.due_at or now,
                left=_left(t.due_at, low, high) if t.due_at else -1,
                kind=t.state,
                label=str(states.get(t.state, t.state)),
                target=t,
            )
        )
    currency = timeline.totals.currency if timeline.totals else campaign.currency
    end = timeline.ends_at
    context = {
        **_base(member),
        "campaign": campaign,
        "timeline": timeline,
        "platform_name": _campaign_origin(campaign, _platform_names()),
        "budget": money(campaign.budget_amount, campaign.currency),
        "bar": {
            "left": _left(timeline.starts_at, low, high),
            "width": (_left(end, low, high) if end else 100.0)
            - _left(timeline.starts_at, low, high),
            "open_end": end is None,
        },
        "now_left": _left(now, low, high) if low <= now <= high else None,
        "ticks": _day_ticks(low, high, tz),
        "cues": cues,
        "lanes": list(lanes.values()),
        "posts": sorted(
            (p for lane in lanes.values() for p in lane["posts"]),
            key=lambda m: (m.target is None or m.target.due_at is None, m.at),
        ),
        "metrics": [
            {
                "day": m.day,
                "impressions": _number(m.impressions),
                "clicks": _number(m.clicks),
                "spend": money(m.spend, m.currency or currency),
                "conversions": _number(m.conversions),
            }
            for m in timeline.metrics
        ],
        "totals": {
            "impressions": _number(timeline.totals.impressions),
            "clicks": _number(timeline.totals.clicks),
            "spend": money(timeline.totals.spend, currency),
            "conversions": _number(timeline.totals.conversions),
        }
        if timeline.totals
        else None,
        "can_compose": member.actor.can(Action.COMPOSE),
        "can_manage": member.actor.can(Action.MANAGE_CAMPAIGNS),
    }
    return render(request, "web/campaign.html", context)


def _number(value: int | Decimal) -> str:
    """A count or a (possibly fractional) conversion number, grouped, without trailing zeros."""
    if isinstance(value, Decimal):
        exponent = value.normalize().as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


# -- ad accounts: connect, sync, import ---------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bulk file or Editor export (CSV or tab-separated, UTF-8 or UTF-16)")
    )


def _render_accounts(
    request: HttpRequest, member: Member, import_form: ImportForm | None = None, status: int = 200
) -> HttpResponse:
    names = _platform_names()
    accounts = [
        {"account": a, "platform_name": names.get(a.platform, a.platform)}
        for a in AdAccount.objects.filter(workspace=member.workspace)
    ]
    context = {
        **_base(member, "ad_accounts"),
        "accounts": accounts,
        "sources": [s.descriptor for s in registry.sources().values()],
        "can_manage": member.actor.can(Action.MANAGE_CAMPAIGNS),
        "import_form": import_form or ImportForm(),
    }
    return render(request, "web/ad_accounts.html", context, status=status)


@login_required
@require_GET
def ad_accounts(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_accounts(request, get_member(request, slug))


@login_required
@require_POST
def ad_connect_start(request: HttpRequest, slug: str, platform: str) -> HttpResponse:
    member = get_member(request, slug)
    source = _source_or_404(platform)
    if not member.actor.can(Action.MANAGE_CAMPAIGNS):
        messages.error(request, _("Your role does not allow connecting ad accounts."))
        return redirect("web:ad_accounts", slug=slug)
    redirect_uri = ads_callback_url(platform)
    try:
        with _counted(platform, member):
            start = async_to_sync(source.oauth().start)(
                redirect_uri=redirect_uri, server_url="", clients=DbClientStore()
            )
    except (NetworkError, httpx.HTTPError, ValueError) as exc:
        messages.error(
            request,
            _("%(platform)s was not connected: %(reason)s")
            % {"platform": source.descriptor.name, "reason": _problem(exc, source)},
        )
        return redirect("web:ad_accounts", slug=slug)
    request.session[SESSION_PREFIX + start.state] = {
        "platform": platform,
        "workspace": member.workspace.slug,
        "redirect_uri": redirect_uri,
        "data": start.session_data,
    }
    return HttpResponseRedirect(start.url)


def _problem(exc: Exception, source: AdSource) -> str:
    if isinstance(exc, NetworkError):
        return exc.message
    if isinstance(exc, httpx.HTTPError):
        return _("Cuecast could not reach %(platform)s. Please try again.") % {
            "platform": source.descriptor.name
        }
    return str(exc)


@login_required
@require_GET
def ads_oauth_callback(request: HttpRequest, platform: str) -> HttpResponse:
    current_user(request)
    state = request.GET.get("state", "")
    pending: dict[str, Any] | None = (
        request.session.pop(SESSION_PREFIX + state, None) if state else None
    )
    if not pending or pending.get("platform") != platform:
        messages.error(
            request, _("This connection attempt is unknown or has expired. Please start it again.")
        )
        return redirect("web:home")
    member = get_member(request, pending["workspace"])
    source = _source_or_404(platform)
    back = redirect("web:ad_accounts", slug=member.workspace.slug)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.warning(
            request,
            _("%(platform)s was not connected: %(reason)s")
            % {
                "platform": source.descriptor.name,
                "reason": request.GET.get("error_description")
                or request.GET.get("error")
                or _("no authorisation came back."),
            },
        )
        return back
    try:
        with _counted(platform, member):  # token exchange and the ad accounts it reaches
            accounts = async_to_sync(source.oauth().finish_all)(
                code=request.GET["code"],
                redirect_uri=pending["redirect_uri"],
                session_data=pending["data"],
            )
        if not accounts:
            raise ValueError(_("The consent granted access to no ad account."))
        if len(accounts) > 1:
            member.actor.require(Action.MANAGE_CAMPAIGNS)
            request.session[CHOICE_KEY] = {
                "workspace": member.workspace.slug,
                "platform": platform,
                "accounts": crypto.encrypt({"accounts": [_account_to_json(a) for a in accounts]}),
            }
            return redirect("web:ad_choose_accounts", slug=member.workspace.slug)
        saved = services.connect_ad_accounts(member.actor, platform, accounts)
    except (NetworkError, httpx.HTTPError, ValueError, PermissionDenied) as exc:
        messages.error(
            request,
            _("%(platform)s was not connected: %(reason)s")
            % {"platform": source.descriptor.name, "reason": _problem(exc, source)},
        )
        return back
    _connected_message(request, saved, source)
    return back


def _connected_message(request: HttpRequest, saved: list[AdAccount], source: AdSource) -> None:
    messages.success(
        request,
        ngettext(
            "Connected %(count)d %(platform)s ad account: %(names)s.",
            "Connected %(count)d %(platform)s ad accounts: %(names)s.",
            len(saved),
        )
        % {
            "count": len(saved),
            "platform": source.descriptor.name,
            "names": ", ".join(a.name for a in saved),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ad_choose_accounts(request: HttpRequest, slug: str) -> HttpResponse:
    """One consent granted several ad accounts: pick which to add. They wait in the session
    encrypted, since they carry tokens."""
    member = get_member(request, slug)
    pending = request.session.get(CHOICE_KEY)
    if not pending or pending.get("workspace") != slug:
        messages.error(request, _("There is nothing to choose from. Please connect again."))
        return redirect("web:ad_accounts", slug=slug)
    choices = [_account_from_json(a) for a in crypto.decrypt(pending["accounts"])["accounts"]]
    platform = pending["platform"]
    source = _source_or_404(platform)
    if request.method == "POST":
        picked = {int(i) for i in request.POST.getlist("account") if i.isdigit()}
        chosen = [choices[i] for i in sorted(picked) if i < len(choices)]
        if not chosen:
            messages.error(request, _("Choose at least one account to connect."))
        else:
            try:
                saved = services.connect_ad_accounts(member.actor, platform, chosen)
            except PermissionDenied:
                messages.error(request, _("Your role does not allow connecting ad accounts."))
            else:
                del request.session[CHOICE_KEY]
                _connected_message(request, saved, source)
            return redirect("web:ad_accounts", slug=slug)
    context = {
        **_base(member, "ad_accounts"),
        "descriptor": source.descriptor,
        "choices": list(enumerate(choices)),
    }
    return render(request, "web/ad_accounts_choose.html", context)


@login_required
@require_POST
def ad_account_sync(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    """ "Sync now": queue the account (so a worker retries if this fails), then sync it at once."""
    member = get_member(request, slug)
    account = get_object_or_404(AdAccount, pk=account_id, workspace=member.workspace)
    try:
        campaign_sync.request_sync(member.actor, account)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow syncing ad accounts."))
        return redirect("web:ad_accounts", slug=slug)
    report = campaign_sync.sync_account(account.pk)
    if report.error:
        messages.error(
            request,
            _("Syncing %(name)s failed: %(reason)s")
            % {"name": account.name, "reason": report.error},
        )
    else:
        messages.success(
            request,
            _("Synced %(name)s. %(summary)s")
            % {"name": account.name, "summary": report_summary(report)},
        )
    return redirect(_safe_next(request) or reverse("web:ad_accounts", kwargs={"slug": slug}))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def report_summary(report: SyncReport) -> str:
    """What a sync or an import did, in a sentence or two."""
    parts = [
        ngettext("%(count)d campaign created", "%(count)d campaigns created", len(report.created))
        % {"count": len(report.created)},
        ngettext("%(count)d campaign changed", "%(count)d campaigns changed", len(report.updated))
        % {"count": len(report.updated)},
        ngettext("%(count)d unchanged", "%(count)d unchanged", len(report.unchanged))
        % {"count": len(report.unchanged)},
    ]
    text = ", ".join(parts) + "."
    posts = []
    if report.moved:
        posts.append(
            ngettext("%(count)d post moved", "%(count)d posts moved", len(report.moved))
            % {"count": len(report.moved)}
        )
    if report.held:
        posts.append(
            ngettext("%(count)d post held", "%(count)d posts held", len(report.held))
            % {"count": len(report.held)}
        )
    if report.released:
        posts.append(
            ngettext("%(count)d post released", "%(count)d posts released", len(report.released))
            % {"count": len(report.released)}
        )
    if posts:
        text += " " + ", ".join(posts) + "."
    return text


# -- imports -------------------------------------------------------------------------------------


@login_required
@require_POST
def import_preview(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    form = ImportForm(request.POST, request.FILES)
    if not member.actor.can(Action.MANAGE_CAMPAIGNS):
        messages.error(request, _("Your role does not allow importing campaigns."))
        return redirect("web:ad_accounts", slug=slug)
    if not form.is_valid():
        return _render_accounts(request, member, form, status=400)
    upload = form.cleaned_data["file"]
    if (upload.size or 0) > MAX_IMPORT_BYTES:
        form.add_error("file", _("The file is larger than 10 MB."))
        return _render_accounts(request, member, form, status=400)
    data: bytes = upload.read()
    filename = upload.name or "import.csv"
    try:
        preview = imports.preview(member.actor, data, filename)
    except ValidationFailed as exc:
        for error in exc.errors:
            form.add_error("file", error.message)
        return _render_accounts(request, member, form, status=400)
    digest = hashlib.sha256(data).hexdigest()
    request.session[IMPORT_KEY] = {
        "workspace": slug,
        "filename": filename,
        "data": base64.b64encode(data).decode("ascii"),
        "sha256": digest,
    }
    context = {
        **_base(member, "ad_accounts"),
        "filename": preview.filename,
        "preview": preview,
        "sha256": digest,
        "counts": {a: preview.count(a) for a in ("create", "change", "unchanged", "synced")},
    }
    return render(request, "web/ad_accounts_import.html", context)


@login_required
@require_POST
def import_apply(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    pending = request.session.get(IMPORT_KEY)
    if (
        not pending
        or pending.get("workspace") != slug
        or pending.get("sha256") != request.POST.get("sha256")
    ):
        messages.error(request, _("There is no previewed file to import. Please upload it again."))
        return redirect("web:ad_accounts", slug=slug)
    data = base64.b64decode(pending["data"])
    try:
        report = imports.apply(member.actor, data, pending["filename"])
    except PermissionDenied:
        messages.error(request, _("Your role does not allow importing campaigns."))
        return redirect("web:ad_accounts", slug=slug)
    except ValidationFailed as exc:
        messages.error(request, _("Nothing was imported."))
        for error in exc.errors:
            messages.error(request, f"{error.field}: {error.message}")
        return redirect("web:ad_accounts", slug=slug)
    del request.session[IMPORT_KEY]
    messages.success(
        request,
        _("Imported %(file)s. %(summary)s")
        % {"file": report.preview.filename, "summary": report_summary(report.report)},
    )
    return redirect("web:campaigns", slug=slug)
