"""An ingest API key and a client that posts batches with it."""

from typing import Any

import orjson
import pytest
from django.test import Client

from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext


class IngestClient:
    def __init__(self, raw_key: str) -> None:
        self.client = Client()
        self.raw_key = raw_key

    def post(self, kind: str, items: Any, **headers: Any) -> Any:
        body = items if isinstance(items, bytes) else orjson.dumps(items)
        return self.client.post(
            f"/api/v1/ingest/{kind}",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.raw_key}",
            **headers,
        )

    def ok(self, kind: str, items: Any) -> dict[str, Any]:
        response = self.post(kind, items)
        assert response.status_code == 200, response.content
        return response.json()


def key_issue(user: Any, scopes: list[str]) -> str:
    audit = AuditContext(actor=user, label=user.username)
    return api_key_create(name="host app", scopes=scopes, audit=audit).raw_key


@pytest.fixture
def ingest(staff_admin: Any) -> IngestClient:
    return IngestClient(key_issue(staff_admin, ["ingest"]))
