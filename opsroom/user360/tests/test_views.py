import re

import pytest

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.models import AuditEntry
from opsroom.people.tests.factories import PersonFactory
from opsroom.user360.models import HealthConfig, Segment
from opsroom.user360.tests.world import jane

pytestmark = pytest.mark.django_db


def _fact(content, name):
    match = re.search(
        rf'data-fact="{name}"><dt>[^<]*</dt><dd[^>]*>(.*?)</dd>', content.decode(), re.S
    )
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).split()


def test_the_user_360_page_answers_the_standard_questions(staff_analyst):
    world = jane()
    page = signed_in(staff_analyst).get(f"/people/{world.person.pk}/")
    assert page.status_code == 200
    content = page.content
    assert _fact(content, "last-login")[:3] == ["8", "days", "ago"]
    assert _fact(content, "open-tickets") == ["0"]
    assert _fact(content, "errors-7d") == ["3"]
    assert _fact(content, "mrr") == ["$29.00"]
    assert _fact(content, "next-charge")[-1] == "$29.00"
    assert _fact(content, "flags-on") == ["ai_coach_v2", "new_recipe_ui"]
    assert b'data-insight-rank="1"' in content
    assert b"Emma (5yo)" in content
    assert b"Avg resolution</dt><dd>4.0h" in content
    assert b"Visa \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 4242" in content
    # An analyst sees the quick actions but may not use them.
    assert b'data-action-disabled="email"' in content
    assert b'data-action="email"' not in content


def test_the_page_of_an_empty_person_still_renders(staff_analyst):
    person = PersonFactory(email="", name="", signed_up_at=None, last_seen_at=None)
    page = signed_in(staff_analyst).get(f"/people/{person.pk}/")
    assert page.status_code == 200
    assert b"No subscription" in page.content
    assert signed_in(staff_analyst).get("/people/987654/").status_code == 404


def test_the_timeline_loads_more_by_htmx(staff_analyst):
    world = jane()
    client = signed_in(staff_analyst)
    first = client.get(f"/people/{world.person.pk}/").content.decode()
    more = (
        re.search(r'hx-get="(/people/\d+/timeline/\?cursor=[^"]+)"', first)
        .group(1)
        .replace("&amp;", "&")
    )
    second = client.get(more)
    assert second.status_code == 200
    assert b'class="tl-item' in second.content
    assert client.get(f"/people/{world.person.pk}/timeline/?cursor=bad").status_code == 400


def test_api_call_payloads_are_shown_redacted(staff_analyst):
    world = jane()
    client = signed_in(staff_analyst)
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    url = re.search(r'hx-get="(/people/\d+/api-calls/\d+/)"', page).group(1)
    payload = client.get(url)
    assert b"hunter2" not in payload.content
    assert b"[redacted]" in payload.content
    other = PersonFactory()
    assert (
        client.get(url.replace(f"/people/{world.person.pk}/", f"/people/{other.pk}/")).status_code
        == 404
    )


def test_the_list_searches_as_you_type_and_refuses_bad_filters_clearly(staff_analyst):
    jane()
    client = signed_in(staff_analyst)
    full = client.get("/people/?q=jane")
    assert full.status_code == 200
    assert b"<h1>People</h1>" in full.content
    partial = client.get("/people/?q=jane", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert b"<h1>" not in partial.content
    assert b"1 match for" in partial.content
    bad = client.get("/people/?field=mrr&op=gt&value=lots&days=&key=")
    assert bad.status_code == 400
    assert b"Condition 1 (MRR): &#x27;lots&#x27; is not an amount." in bad.content
    bad_partial = client.get(
        "/people/?field=nope&op=eq&value=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert bad_partial.status_code == 400
    assert b"unknown field" in bad_partial.content
    assert b'value="lots"' in bad.content  # the form comes back as it was typed


def test_the_condition_builder_adds_rows(staff_analyst):
    row = signed_in(staff_analyst).get("/people/filters/row/")
    assert b'<select name="field"' in row.content


def test_segments_are_saved_listed_and_deleted_from_the_page(staff_support, staff_analyst):
    client = signed_in(staff_support)
    saved = client.post(
        "/people/segments/save/",
        {"name": "Open tickets", "quick": "open_tickets", "is_shared": "on"},
    )
    assert saved.status_code == 302
    segment = Segment.objects.get()
    assert (segment.owner, segment.is_shared, segment.quick) == (
        staff_support,
        True,
        "open_tickets",
    )
    listing = signed_in(staff_analyst).get("/people/").content
    assert b"Open tickets</a>" in listing
    assert (
        signed_in(staff_analyst).post(f"/people/segments/{segment.pk}/delete/").status_code == 403
    )
    assert client.post(f"/people/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.exists()
    assert AuditEntry.objects.filter(action="people.segment_delete").exists()


def test_health_settings_are_explained_to_all_and_changed_by_admins(staff_analyst, staff_admin):
    page = signed_in(staff_analyst).get("/people/health/")
    assert page.status_code == 200
    assert b"How the health score works" in page.content
    assert b"Analysts can read but not change health score settings" in page.content
    form = {
        "core_features": "meal_plan_created\nrecipe_added",
        "healthy_min": 75,
        "at_risk_min": 45,
        "new_days": 7,
        "target_days_per_week": 4,
        "login_event": "login",
        "usage_counters": "meal_plan_created = Meal plans\nrecipe_added = Recipes added",
        "weight_engagement": 40,
        "weight_frequency": 20,
        "weight_adoption": 20,
        "weight_support": 10,
        "weight_payment": 10,
    }
    assert signed_in(staff_analyst).post("/people/health/", form).status_code == 403
    assert signed_in(staff_admin).post("/people/health/", form).status_code == 302
    config = HealthConfig.objects.get()
    assert config.core_features == ["meal_plan_created", "recipe_added"]
    assert config.usage_counters[0] == {"event": "meal_plan_created", "label": "Meal plans"}
    assert (config.healthy_min, config.new_days) == (75, 7)
    bad = signed_in(staff_admin).post("/people/health/", {**form, "at_risk_min": 80})
    assert bad.status_code == 400
    assert b"must be below" in bad.content


def test_the_nav_shows_people(staff_analyst):
    home = signed_in(staff_analyst).get("/")
    assert b'href="/people/"' in home.content


def test_an_insight_offers_the_fitting_email_template(staff_support):
    from opsroom.messaging.tests.factories import EmailTemplateFactory

    EmailTemplateFactory(key="we-miss-you", name="We miss you")
    world = jane()
    client = signed_in(staff_support)
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert 'data-insight-template="we-miss-you"' in page
    form = client.get(
        f"/people/{world.person.pk}/actions/email/?template=we-miss-you"
    ).content.decode()
    assert '<option value="we-miss-you" selected>' in form


def test_app_opens_count_as_logins_and_profiles_read_as_text(staff_analyst):
    from opsroom.people.services import person_upsert
    from opsroom.user360.tests.world import events

    person = person_upsert(
        external_id="mobile-1",
        name="Lauren Johnson",
        attributes={
            "beta_tester": False,
            "kids": [{"name": "Noah", "age": 10, "picky": True, "allergies": ["sesame"]}],
        },
    )
    events(person, [2, 5], ["app_open", "recipe_viewed"], clock.now())
    page = signed_in(staff_analyst).get(f"/people/{person.pk}/").content
    assert _fact(page, "last-login")[:3] == ["2", "days", "ago"]
    assert b"Last login \xc2\xb7 App open \xc2\xb7 Recipe viewed" in page
    assert b"Noah (10yo, picky, allergies: sesame)" in page
    assert b"<dt>Beta tester</dt><dd>no</dd>" in page


def test_the_quick_actions_and_the_tabs_come_before_everything_else(staff_support):
    world = jane()
    page = signed_in(staff_support).get(f"/people/{world.person.pk}/").content.decode()
    bar = page.index("data-quick-actions")
    assert bar < page.index('aria-label="Summary"') < page.index('id="health"')
    assert 'data-action="email"' in page[bar : page.index('aria-label="Summary"')]
    # The timeline and the debug tools share one card, as tabs the address keeps (#debug).
    assert 'data-tab="timeline"' in page
    assert 'data-tab="debug"' in page
    assert page.index('id="timeline"') < page.index('id="debug"')


def test_the_devices_card_lists_the_clients_of_their_api_calls(staff_support):
    world = jane()
    page = signed_in(staff_support).get(f"/people/{world.person.pk}/").content.decode()
    card = page[page.index('data-card="devices"') :]
    card = card[: card.index("</section>")]
    assert "<strong>iPhone · iOS 17.2</strong> · app 5.26.0" in card
    assert "1 API call</span>" in card


def test_the_page_shows_the_marketing_touches_up_to_signup(staff_analyst, staff_support):
    from datetime import timedelta

    from opsroom.people.models import Touch

    person = PersonFactory(signed_up_at=clock.now() - timedelta(days=3))
    touches = ((40, "ads", "spring"), (10, "blog", ""), (1, "ads", "after-signup-promo"))
    for days, channel, campaign in touches:
        Touch.objects.create(
            person=person,
            occurred_at=clock.now() - timedelta(days=days),
            channel=channel,
            campaign=campaign,
            landing_page="/blog/meal-prep" if channel == "blog" else "",
        )
    html = signed_in(staff_analyst).get(f"/people/{person.pk}/").content.decode()
    assert "Marketing touches" in html
    first = html.index('data-touch="first touch"')
    last = html.index('data-touch="last touch"')
    assert first < html.index("spring") < last < html.index("/blog/meal-prep")
    assert "after-signup-promo" not in html  # after the signup: attribution does not count it
    assert "Attribution →" in html
    other = signed_in(staff_support).get(f"/people/{person.pk}/").content.decode()
    assert "Marketing touches" in other


def test_many_touches_show_the_first_and_the_latest(staff_analyst):
    from datetime import timedelta

    from opsroom.people.models import Touch

    person = PersonFactory(signed_up_at=clock.now())
    for day in range(14):
        Touch.objects.create(
            person=person,
            occurred_at=clock.now() - timedelta(days=30 - day),
            channel="ads",
            campaign=f"c{day:02}",
        )
    html = signed_in(staff_analyst).get(f"/people/{person.pk}/").content.decode()
    assert html.count("data-touch=") == 10
    assert "c00" in html
    assert "c13" in html
    assert "c01" not in html
    assert "4 more touches" in html
