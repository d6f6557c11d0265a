from django.http import HttpRequest
from ninja import Router, Schema

from opsroom.core.auth import staff_or_key
from opsroom.core.models import ApiKey

router = Router(tags=["core"])


class WhoAmIOut(Schema):
    kind: str
    name: str
    scopes: list[str]


@router.get(
    "/whoami",
    response=WhoAmIOut,
    auth=staff_or_key("read"),
    operation_id="whoami",
    summary="Who is calling",
)
def whoami(request: HttpRequest) -> WhoAmIOut:
    """Who the request authenticates as: an API key (with its scopes) or a staff user."""
    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiKey):
        return WhoAmIOut(kind="api_key", name=auth.name, scopes=list(auth.scopes))
    return WhoAmIOut(kind="staff", name=auth.get_username(), scopes=["session"])
