"""How families found the app: the touches before each signup (ads, blog posts, referrals),
and what each paid channel and campaign cost per month, for attribution and CAC.

Drawn from a random stream of their own (per person), so the rest of the world is the same
with or without them.
"""

import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsroom.demo.world.context import World
    from opsroom.demo.world.state import PersonSim

# (campaign, landing page) per channel; content is the blog, one post per touch.
_CAMPAIGNS: dict[str, tuple[tuple[str, str], ...]] = {
    "paid_search": (
        ("brand", "/"),
        ("meal-planner-generic", "/meal-planner"),
        ("picky-eaters", "/lp/picky-eaters"),
    ),
    "paid_social": (
        ("spring-family-video", "/lp/family-video"),
        ("kids-lunch-carousel", "/lp/lunchbox"),
    ),
    "partner": (("school-newsletter", "/partners/schools"),),
    "referral": (("invite-a-family", "/invite"),),
}
BLOG_POSTS = (
    "/blog/picky-eaters-10-dinners",
    "/blog/batch-cooking-sunday",
    "/blog/school-lunch-ideas",
    "/blog/toddler-portions",
    "/blog/15-minute-weeknight-meals",
)
_EARLIER = (("content", 40), ("paid_social", 30), ("paid_search", 15), ("organic", 15))
_MULTI_TOUCH = 0.4
# What a signup costs on each paid channel (cents), and the blog's monthly cost.
_COST_PER_SIGNUP = {"paid_search": 2400, "paid_social": 1900, "partner": 3100, "referral": 500}
_BLOG_MONTHLY = 180_000


def _touch(rng: random.Random, channel: str, at: datetime) -> dict[str, Any]:
    campaign, page = "", ""
    if channel in _CAMPAIGNS:
        campaign, page = rng.choice(_CAMPAIGNS[channel])
    elif channel == "content" or (channel == "organic" and rng.random() < 0.3):
        page = rng.choice(BLOG_POSTS)
    elif channel == "organic":
        page = "/"
    return {"occurred_at": at, "channel": channel, "campaign": campaign, "landing_page": page}


def touches_for(world: "World", person: "PersonSim") -> list[dict[str, Any]]:
    """The person's touches, oldest first: the last one is their acquisition channel."""
    rng = random.Random(f"opsroom-demo-touches:{world.config.seed}:{person.external_id}")
    last_at = person.signup_at - timedelta(minutes=rng.uniform(3, 60 * 48))
    touches = [_touch(rng, person.channel, last_at)]
    if rng.random() < _MULTI_TOUCH:
        for _ in range(rng.choice((1, 1, 2))):
            channel = rng.choices([c for c, _ in _EARLIER], weights=[w for _, w in _EARLIER])[0]
            at = touches[0]["occurred_at"] - timedelta(hours=rng.uniform(6, 24 * 20))
            touches.insert(0, _touch(rng, channel, at))
    last = touches[-1]
    world.marketing[
        (person.signup_at.date().replace(day=1), last["channel"], last["campaign"])
    ] += 1
    return touches


def spend_rows(world: "World") -> list[tuple[str, date, int, str]]:
    """(channel, month, amount in cents, campaign) of each month the world ran: paid channels
    by the signups they brought (last touch) at their cost with some noise, and the blog."""
    rng = random.Random(f"opsroom-demo-spend:{world.config.seed}")
    rows = []
    signups: Counter[tuple[date, str, str]] = world.marketing
    for (month, channel, campaign), count in sorted(signups.items()):
        cost = _COST_PER_SIGNUP.get(channel)
        if cost is not None:
            rows.append((channel, month, round(count * cost * rng.uniform(0.8, 1.25)), campaign))
    for month in sorted({month for month, _, _ in signups}):
        rows.append(("content", month, _BLOG_MONTHLY, ""))
    return rows
