"""The API's OpenAPI schema lists each endpoint once, under one tag, with a readable summary."""

from collections import Counter

from config.api import api


def _operations():
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_each_endpoint_is_listed_once_under_one_tag():
    operations = list(_operations())
    ids = Counter(operation["operationId"] for _p, _m, operation in operations)
    assert [name for name, n in ids.items() if n > 1] == []
    for path, method, operation in operations:
        assert len(operation.get("tags", [])) == 1, (method, path)
    tags = Counter(operation["tags"][0] for _p, _m, operation in operations)
    assert tags["segments"] == 5
    assert tags["impersonation"] == 2


def test_summaries_read_as_words_not_function_names():
    for path, method, operation in _operations():
        summary = operation.get("summary", "")
        assert summary, (method, path)
        assert not summary.endswith((" Endpoint", " Create", " Remove")), (method, path, summary)
