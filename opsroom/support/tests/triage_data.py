"""Generated labelled texts for the triage tests: a few categories, each with its own words,
and out-of-scope texts about something else entirely."""

import csv
import random
from pathlib import Path

TEMPLATES = {
    "billing": (
        "I was charged twice for my {plan} plan this month",
        "Please refund the {amount} payment you took from my card",
        "Why did my card get charged {amount} again",
        "The price of {plan} went up and I was billed {amount}",
    ),
    "bug": (
        "The {feature} crashes every time I open it",
        "Error message when I try to use the {feature} on my phone",
        "The {feature} is broken since the last update, it just spins",
        "Blank screen when loading the {feature}",
    ),
    "account_access": (
        "I forgot my password and the reset link never arrives",
        "Can't log in to my account, it says wrong password",
        "Locked out after two-factor code failed on my {device}",
        "The sign in page rejects my email address on {device}",
    ),
    "cancellation": (
        "Please cancel my {plan} subscription before it renews",
        "I want to cancel and close my account",
        "How do I stop my subscription, cancel it today",
        "Cancel my plan, we no longer need {plan}",
    ),
}
OUT_OF_SCOPE = (
    "What is the weather going to be like in {city} tomorrow",
    "Tell me a joke about a {animal}",
    "Who won the football match in {city} last night",
    "Recommend a good novel about a {animal}",
)
FILL = {
    "plan": ("Family", "Premium", "Basic", "Annual"),
    "amount": ("$9.99", "$29", "$120", "$4.50"),
    "feature": ("meal planner", "grocery list", "recipe search", "PDF export"),
    "device": ("iPhone", "Android phone", "laptop", "tablet"),
    "city": ("Paris", "Lagos", "Lima", "Osaka"),
    "animal": ("penguin", "cat", "horse", "owl"),
}


def _fill(rng: random.Random, template: str) -> str:
    text = template.format(**{key: rng.choice(values) for key, values in FILL.items()})
    return (
        f"{rng.choice(('', 'Hi, ', 'Hello! ', 'Urgent: '))}{text}{rng.choice(('.', '?', '!', ''))}"
    )


def labelled_rows(per_class: int, *, out_of_scope: int = 0, seed: int = 0) -> list[tuple[str, str]]:
    """(text, label) rows, shuffled; out-of-scope rows have the label ""."""
    rng = random.Random(seed)
    rows = [
        (_fill(rng, rng.choice(templates)), label)
        for label, templates in TEMPLATES.items()
        for _ in range(per_class)
    ]
    rows += [(_fill(rng, rng.choice(OUT_OF_SCOPE)), "") for _ in range(out_of_scope)]
    rng.shuffle(rows)
    return rows


def csv_write(path: Path, rows: list[tuple[str, str]], *, label_column: str = "label") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", label_column])
        writer.writerows(rows)
    return path
