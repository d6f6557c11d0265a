"""The answer to a batch: which items were stored, which were refused and why."""

from ninja import Schema


class Rejection(Schema):
    index: int
    field: str
    reason: str


class BatchCounts(Schema):
    received: int
    accepted: int
    rejected: int
    created: int
    updated: int
    unchanged: int


class BatchResult(Schema):
    """Accepted items are stored; a rejected item changed nothing."""

    counts: BatchCounts
    accepted: list[int]
    rejected: list[Rejection]


class Problem(Schema):
    detail: str
