import json
from datetime import UTC, datetime

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.llm import LlmError, llm_chat
from opsroom.core.tests.http_stub import http_stub
from opsroom.people.snapshot import person_snapshot_get
from opsroom.user360.selectors.ask import person_ask, person_facts_gather
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def facts():
    with clock.clock_frozen_at(NOW):
        person = jane(NOW).person
        return person_facts_gather(person=person, snapshot=person_snapshot_get(person=person))


def _completion(text):
    def handler(method, path, body):
        return 200, {
            "model": "local-test-model",
            "choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 30},
        }

    return handler


def test_without_a_model_the_box_searches_the_facts_and_says_so(facts, settings):
    settings.OPSROOM_LLM_BASE_URL = ""
    answer = person_ask(question="Did their payment go through?", facts=facts)
    assert not answer.used_model
    assert answer.note.startswith("No language model is configured")
    assert any("Payment succeeded ($29.00)" in fact.text for fact in answer.sources)
    assert any(fact.text.startswith("Subscription: Premium") for fact in answer.sources)


def test_a_question_nothing_matches_says_so(facts, settings):
    settings.OPSROOM_LLM_BASE_URL = ""
    answer = person_ask(question="zebra giraffe", facts=facts)
    assert answer.sources == []
    assert answer.text == "Nothing in their facts or timeline matches: zebra, giraffe."


def test_the_model_answers_from_the_facts_and_its_citations_are_kept(facts, settings):
    reply = "Their last payment succeeded [T5] and they are on Premium [F3]; see also [F999]."
    with http_stub(_completion(reply)) as stub:
        settings.OPSROOM_LLM_BASE_URL = f"{stub.url}/v1"
        settings.OPSROOM_LLM_API_KEY = "sk-local"
        settings.OPSROOM_LLM_MODEL = "local-test-model"
        answer = person_ask(question="Are they paying?", facts=facts)
    assert answer.used_model
    assert answer.text == reply
    assert [fact.ref for fact in answer.sources] == ["T5", "F3"]  # F999 is not a fact: dropped
    request = stub.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-local"
    sent = json.loads(request["body"])
    assert sent["model"] == "local-test-model"
    assert "[F3] Subscription: Premium" in sent["messages"][1]["content"]
    assert sent["messages"][1]["content"].endswith("Question: Are they paying?")


def test_a_failing_model_falls_back_to_the_search(facts, settings):
    with http_stub(lambda method, path, body: (503, {"error": "overloaded"})) as stub:
        settings.OPSROOM_LLM_BASE_URL = f"{stub.url}/v1"
        settings.OPSROOM_LLM_MODEL = "m"
        answer = person_ask(question="any errors?", facts=facts)
    assert not answer.used_model
    assert answer.note.startswith(
        "The language model did not answer (the model endpoint answered HTTP 503"
    )
    assert any("TimeoutError" in fact.text for fact in answer.sources)


def test_the_client_refuses_an_answer_without_content(settings):
    with http_stub(lambda method, path, body: (200, {"choices": []})) as stub:
        settings.OPSROOM_LLM_BASE_URL = stub.url
        settings.OPSROOM_LLM_MODEL = "m"
        with pytest.raises(LlmError, match="no choices"):
            llm_chat(messages=[{"role": "user", "content": "hi"}])


def test_the_page_answers_through_htmx(staff_analyst, settings):
    settings.OPSROOM_LLM_BASE_URL = ""
    person = jane().person
    client = signed_in(staff_analyst)
    response = client.post(f"/people/{person.pk}/ask/", {"question": "what errors did they hit?"})
    assert response.status_code == 200
    assert b"No language model is configured" in response.content
    assert b"TimeoutError" in response.content
    empty = client.post(f"/people/{person.pk}/ask/", {"question": "  "})
    assert empty.status_code == 400
    assert b"Ask a question." in empty.content
