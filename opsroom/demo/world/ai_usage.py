"""The calls to AI models behind Little Bites' AI features, and a prompt loop planted among them.

Each AI feature used in a day's events is one call to a model: recipe generation and the chat
coach carry their tokens and cost in their events; meal-plan generation (every new plan) and
food recognition (a photo with about a third of food attempts) are drawn here. Everything
here draws from its own random stream once the day is simulated, so the rest of the world is
the same, row for row, with or without AI usage.

The planted anomaly: two to three weeks before the end, a release of the meal-plan generator
re-asks the model to repair its own JSON answer in a loop, for five to nine evening hours
(UTC) before it is rolled back: each plan then costs 8 to 20 calls, each sending the previous
answers again. What was planted (the looped calls' times) is kept in `LoopTrace`.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsroom.demo.world.records import Row
from opsroom.people.services import EventData

# USD per million tokens (input, output).
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}
FOOD_PHOTO_SHARE = 0.35
LOOP_ENDPOINT = "POST /api/meal-plans"


@dataclass(frozen=True)
class Feature:
    endpoint: str
    feature: str
    model: str


FEATURES = {
    "recipe_generated": Feature("POST /api/recipes/generate", "recipe_generation", "gpt-4o-mini"),
    "ai_coach_message": Feature("POST /api/coach/messages", "chat_coach", "gpt-4o"),
    "meal_plan_created": Feature(LOOP_ENDPOINT, "meal_plan_generation", "gpt-4o-mini"),
    "food_attempt_logged": Feature(
        "POST /api/kids/{id}/food-attempts", "food_recognition", "gpt-4o-mini"
    ),
}


@dataclass
class LoopTrace:
    """The planted prompt loop: its planned hours and the looped calls that happened."""

    endpoint: str
    planned_from: datetime
    planned_until: datetime
    first: datetime | None = None
    last: datetime | None = None
    plans: int = 0  # meal plans generated in the loop
    calls: int = 0  # model calls they made
    cost_micros: int = 0

    def add(self, rows: list[Row]) -> None:
        """One looped plan's calls, as written."""
        if not rows:
            return
        first, last = rows[0]["occurred_at"], rows[-1]["occurred_at"]
        self.first = first if self.first is None else min(self.first, first)
        self.last = last if self.last is None else max(self.last, last)
        self.plans += 1
        self.calls += len(rows)
        self.cost_micros += sum(row["cost_micros"] for row in rows)


def _cost(model: str, tokens_in: int, tokens_out: int) -> int:
    """The price of a call in millionths of a dollar."""
    price_in, price_out = PRICES[model]
    return round(tokens_in * price_in + tokens_out * price_out)


class AiUsage:
    """Turns each day's AI feature events into AI usage rows, from its own random stream."""

    def __init__(self, *, seed: int, horizon: datetime) -> None:
        self._rng = random.Random(f"opsroom-demo-ai:{seed}")
        self._seed = seed
        self._count = 0
        self._horizon = horizon
        rng = random.Random(f"opsroom-demo-ai-loop:{seed}")
        day = horizon - timedelta(days=rng.randint(14, 20))
        start = day.replace(hour=rng.randint(16, 19), minute=rng.randint(0, 59), second=0,
                            microsecond=0)  # fmt: skip
        self.loop = LoopTrace(LOOP_ENDPOINT, start, start + timedelta(hours=rng.randint(5, 9)))

    def rows(self, events: list[EventData]) -> list[Row]:
        """The AI calls behind the given events, in their order."""
        out: list[Row] = []
        for event in events:
            feature = FEATURES.get(event.name)
            if feature is None:
                continue
            calls = self._calls(event)
            looped = event.name == "meal_plan_created" and self._in_loop(event.occurred_at)
            if looped:
                calls = self._looped(calls[0])
            written = len(out)
            for step, (tokens_in, tokens_out, cost) in enumerate(calls):
                self._count += 1
                at = event.occurred_at + timedelta(seconds=1 + 4 * step)
                if at >= self._horizon:
                    break
                out.append(
                    {
                        "usage_id": f"lb{self._seed}-ai-{self._count}",
                        "_person": event.person_external_id,
                        "occurred_at": at,
                        "endpoint": feature.endpoint,
                        "feature": feature.feature,
                        "model": feature.model,
                        "input_tokens": tokens_in,
                        "output_tokens": tokens_out,
                        "cost_micros": cost,
                        "currency": "usd",
                        "received_at": at + timedelta(seconds=self._rng.randint(2, 60)),
                    }
                )
            if looped:
                self.loop.add(out[written:])
        return out

    def _in_loop(self, at: datetime) -> bool:
        return self.loop.planned_from <= at < self.loop.planned_until

    def _calls(self, event: EventData) -> list[tuple[int, int, int]]:
        """(input tokens, output tokens, cost) of the calls behind one event; none for a food
        attempt logged without a photo."""
        rng = self._rng
        props = event.properties
        if event.name in ("recipe_generated", "ai_coach_message"):
            tokens = int(props["tokens"])
            share = 0.35 if event.name == "recipe_generated" else 0.6
            tokens_in = round(tokens * share)
            return [(tokens_in, tokens - tokens_in, round(float(props["cost_usd"]) * 1e6))]
        if event.name == "meal_plan_created":
            days = int(props.get("days", 7))
            tokens_in = 900 + 120 * days + rng.randint(0, 300)
            tokens_out = 150 * days + rng.randint(0, 400)
            return [(tokens_in, tokens_out, _cost("gpt-4o-mini", tokens_in, tokens_out))]
        if rng.random() >= FOOD_PHOTO_SHARE:
            return []
        tokens_in, tokens_out = rng.randint(850, 1300), rng.randint(20, 60)
        return [(tokens_in, tokens_out, _cost("gpt-4o-mini", tokens_in, tokens_out))]

    def _looped(self, first: tuple[int, int, int]) -> list[tuple[int, int, int]]:
        """The loop: each repair call sends the prompt and every answer so far again."""
        tokens_in, tokens_out, _ = first
        calls = [first]
        context = tokens_in + tokens_out
        for _ in range(self._rng.randint(7, 19)):
            answer = self._rng.randint(600, 1100)
            context += 60  # "Your answer was not valid JSON; fix it."
            calls.append((context, answer, _cost("gpt-4o-mini", context, answer)))
            context += answer
        return calls
