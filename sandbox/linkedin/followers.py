"""An organization's follower count: GET /rest/networkSizes/{organization urn}
?edgeType=COMPANY_FOLLOWED_BY_MEMBER → {"firstDegreeSize": N} (Community Management API,
organizations/follower-statistics, "Retrieve Organization Follower Count")."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.linkedin import errors
from sandbox.linkedin.state import LinkedInState

EDGE_TYPE = "COMPANY_FOLLOWED_BY_MEMBER"
FIGURES = ("firstDegreeSize",)


async def network_size(call: Call) -> Response:
    urn = call.request.path_params["urn"]
    if call.request.query_params.get("edgeType") != EDGE_TYPE:
        return errors.bad_request(f"edgeType must be {EDGE_TYPE} for an organization")
    with call.sandbox.lock:
        org = call.sandbox.net("linkedin", LinkedInState).org_by_urn(urn)
        if org is None:
            return errors.not_found(f"Organization {urn} not found")
        return JSONResponse({"firstDegreeSize": org.figures.get("firstDegreeSize", 0)})
