"""The day loop: families sign up on a growth curve, then every living family lives each day.

Signups grow about 8.5% a month (with a New Year bump); times are stratified so that even a
small world shows the curve. Each day's records go to `on_day` to be written at that day's end.
"""

import bisect
import calendar
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from opsroom.demo.world import life
from opsroom.demo.world.context import World
from opsroom.demo.world.records import Batch
from opsroom.demo.world.releases import BACKGROUND_ERRORS, ErrorDef
from opsroom.demo.world.state import PersonSim

MONTHLY_GROWTH = 0.085
_SIGNUP_WEEKDAY = (1.1, 1.05, 1.0, 1.0, 0.9, 0.9, 1.05)
# Signups by UTC hour: evenings in Europe and the Americas.
_SIGNUP_HOURS = (6, 5, 4, 3, 2, 2, 2, 3, 4, 5, 6, 6, 6, 6, 7, 7, 7, 8, 9, 10, 10, 9, 8, 7)
_HOUR_CUMULATIVE = [sum(_SIGNUP_HOURS[: hour + 1]) / sum(_SIGNUP_HOURS) for hour in range(24)]
_BACKGROUND = [
    ErrorDef(key, title, title, culprit, level, (), 0.0)
    for key, title, culprit, level in BACKGROUND_ERRORS
]


def signup_times(
    rng: random.Random, *, people: int, start: datetime, horizon: datetime
) -> list[datetime]:
    """When each of `people` families signs up, in order."""
    days: list[datetime] = []
    weights: list[float] = []
    first_month = start.year * 12 + start.month
    day = start
    while day < horizon:
        month_index = day.year * 12 + day.month - first_month
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        season = 1.06 if day.month == 1 else 1.0
        covered = min(1.0, (horizon - day).total_seconds() / 86400)
        weight = math.exp(MONTHLY_GROWTH * month_index) * season / days_in_month
        weights.append(weight * _SIGNUP_WEEKDAY[day.weekday()] * covered)
        days.append(day)
        day += timedelta(days=1)
    cumulative: list[float] = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    times = []
    for index in range(people):
        point = (index + rng.random()) / people * total
        day_index = min(bisect.bisect_right(cumulative, point), len(days) - 1)
        before = cumulative[day_index - 1] if day_index else 0.0
        within = (point - before) / weights[day_index] if weights[day_index] else 0.0
        hour = bisect.bisect_right(_HOUR_CUMULATIVE, within)
        low = _HOUR_CUMULATIVE[hour - 1] if hour else 0.0
        fraction = (within - low) / (_HOUR_CUMULATIVE[min(hour, 23)] - low or 1.0)
        at = days[day_index] + timedelta(hours=min(hour, 23) + min(max(fraction, 0.0), 0.999))
        times.append(min(at, horizon - timedelta(seconds=1)))
    return times


def world_days(world: World) -> Iterator[tuple[Batch, datetime]]:
    """Run the world from its start to its horizon; yield each day's records and its end."""
    config = world.config
    signups = signup_times(
        world.rng, people=config.people, start=world.start, horizon=world.horizon
    )
    alive: list[PersonSim] = []
    next_signup = 0
    day_start, day_number = world.start, 0
    while day_start < world.horizon:
        day_end = min(day_start + timedelta(days=1), world.horizon)
        world.batch = Batch()
        while next_signup < len(signups) and signups[next_signup] < day_end:
            person = life.person_new(world, next_signup, signups[next_signup])
            life.signup(world, person)
            alive.append(person)
            next_signup += 1
        slot = day_number % 7
        for person in alive:
            life.day(world, person, day_start, day_end, weekly=person.weekday_slot == slot)
        _background_errors(world, day_start)
        if day_end >= world.horizon:
            for person in alive:
                life.finish(world, person)
        world.batch.ai_usage = world.ai.rows(world.batch.events)
        yield world.batch, day_end
        alive = [person for person in alive if not person.gone]
        day_start, day_number = day_end, day_number + 1


def _background_errors(world: World, day_start: datetime) -> None:
    """Scheduled jobs fail now and then, with no user attached; busier apps fail more often."""
    rng = world.rng
    load = min(1.0, world.config.people / 2000)
    if day_start.weekday() == 0 and rng.random() < 0.3 * load:
        at = day_start + timedelta(hours=6, minutes=rng.randint(0, 50))
        world.error_record(
            None, _BACKGROUND[0], at, endpoint="task send_weekly_digest", request_id=""
        )
    if rng.random() < 0.15 * load:
        at = day_start + timedelta(seconds=rng.randint(0, 86399))
        if at < world.horizon:
            world.error_record(
                None, _BACKGROUND[1], at, endpoint="POST /webhooks/stripe", request_id=""
            )


def days_between(start: datetime, horizon: datetime) -> int:
    """How many simulated days (the last may be partial)."""
    return math.ceil((horizon - start).total_seconds() / 86400)
