"""`/api/v1/campaigns`: create, list, read and update campaigns. Moving a campaign's dates moves
the posts cued to it (the service does that)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import responses
from cuecast.api.idempotency import OPENAPI_PARAMETER, idempotent_operation
from cuecast.api.schemas import CampaignIn, CampaignOut, CampaignPatch
from cuecast.campaigns.models import Campaign, CampaignStatus
from cuecast.campaigns.services import CampaignSpec, create_campaign, update_campaign

router = Router(tags=["campaigns"])


def campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.pk,
        name=campaign.name,
        starts_at=campaign.starts_at.astimezone(UTC),
        ends_at=campaign.ends_at.astimezone(UTC) if campaign.ends_at else None,
        timezone=campaign.timezone,
        status=CampaignStatus(campaign.status),
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


@router.post(
    "",
    summary="Create Campaign",
    response={201: CampaignOut, **responses(401, 403, 422)},
    openapi_extra={"parameters": [dict(OPENAPI_PARAMETER)]},
)
@idempotent_operation()
def create_campaign_op(request: HttpRequest, payload: CampaignIn) -> Status[CampaignOut]:
    """Create a campaign. Dates are ISO 8601 with an offset; the zone is an IANA name."""
    actor = request_actor(request)
    spec = CampaignSpec(
        name=payload.name,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        timezone=payload.timezone or actor.workspace.timezone,
        status=payload.status,
    )
    return Status(201, campaign_out(create_campaign(actor, spec)))


@router.get("", response={200: list[CampaignOut], **responses(401, 403)})
def list_campaigns(request: HttpRequest) -> list[CampaignOut]:
    """The workspace's campaigns, latest start first."""
    return [campaign_out(c) for c in selectors.campaigns(request_actor(request))]


@router.get("/{campaign_id}", response={200: CampaignOut, **responses(401, 403, 404, 422)})
def get_campaign(request: HttpRequest, campaign_id: int) -> CampaignOut:
    """One campaign of the workspace."""
    return campaign_out(selectors.campaign(request_actor(request), campaign_id))


@router.patch(
    "/{campaign_id}",
    summary="Update Campaign",
    response={200: CampaignOut, **responses(401, 403, 404, 422)},
)
def update_campaign_op(
    request: HttpRequest, campaign_id: int, payload: CampaignPatch
) -> CampaignOut:
    """Change some of a campaign's fields; posts cued to it follow its new dates."""
    actor = request_actor(request)
    campaign = selectors.campaign(actor, campaign_id)
    changes: dict[str, Any] = {name: getattr(payload, name) for name in payload.model_fields_set}
    spec = CampaignSpec(
        name=changes.get("name", campaign.name),
        starts_at=changes.get("starts_at", campaign.starts_at),
        ends_at=changes.get("ends_at", campaign.ends_at),
        timezone=changes.get("timezone", campaign.timezone),
        status=CampaignStatus(changes.get("status", campaign.status)),
    )
    return campaign_out(update_campaign(actor, campaign, spec))
