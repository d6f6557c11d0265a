"""How customers write to support: many phrasings per topic, greetings, typos, their own facts.

`{slot}` placeholders are filled from the facts of the person's real situation (plan, amount,
card, kid, the error they saw); a phrasing whose slots are missing is not used.
"""

import random
import re

from opsroom.demo.world.ticket_phrasings import INTENTS, Intent

GREETINGS = (
    "Hi,", "Hello,", "Hi there,", "Hey,", "Hi team,", "Hello Little Bites team,", "Good morning,",
    "Hi support,", "Dear Little Bites,", "hi", "Hey guys,", "", "", "",
)  # fmt: skip
SIGNOFFS = (
    "Thanks,\n{first}", "Thank you!", "Cheers,\n{first}", "Best,\n{name}", "Thanks in advance",
    "{first}", "Regards,\n{name}", "thx", "Sent from my iPhone", "Many thanks,\n{first}", "", "",
)  # fmt: skip

IDEAS = (
    ("it synced with my Instacart cart", "Instacart sync"),
    ("there was a lunchbox planner for school days", "a lunchbox planner"),
    ("we could plan for two households (shared custody)", "two-household plans"),
    ("recipes showed the cost per serving", "cost per serving"),
    ("there was a dark mode on the web app", "dark mode on web"),
    ("I could import recipes from a website", "recipe import"),
    ("the grocery list grouped items by aisle", "aisle grouping"),
    ("you supported a Spanish version", "Spanish language"),
    ("there was a baby-led weaning section", "baby-led weaning"),
)  # fmt: skip
REASONS = {
    "too_expensive": "It's too expensive for us right now.",
    "not_using_enough": "We just don't use it enough.",
    "kids_eat_anything_now": "Kids are older and eat everything now!",
    "switching_app": "We're trying another app.",
    "missing_features": "It's missing a few things we need.",
    "technical_problems": "Too many bugs lately, sorry.",
    "other": "",
}
_SLOT = re.compile(r"\{(\w+)\}")


def _fill(rng: random.Random, options: tuple[str, ...], facts: dict[str, str]) -> str:
    usable = [text for text in options if all(s in facts for s in _SLOT.findall(text))]
    text = rng.choice(usable or options)
    return _SLOT.sub(lambda m: facts.get(m.group(1), ""), text)


def typos(rng: random.Random, text: str) -> str:
    """Mistakes people make when they write in a hurry: swapped letters, no capitals, no dots."""
    roll = rng.random()
    if roll < 0.12:
        text = text.lower()
    if roll > 0.8:
        text = text.replace(". ", " ").rstrip(".")
    words = text.split(" ")
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        index = rng.randrange(len(words))
        word = words[index]
        if len(word) > 4 and word.isalpha():
            cut = rng.randrange(1, len(word) - 2)
            words[index] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
    return " ".join(words)


CUSTOMER_NOT_YET = (
    "Still not working for me, sorry.", "I tried that but nothing changed?", "Any update on this?",
    "Hmm, same problem today.", "it still says the same thing", "That didn't help unfortunately.",
)  # fmt: skip
AGENT_FOLLOW_UP = (
    "Sorry it's still not right. I've escalated this to our engineers with your details and "
    "will come back to you as soon as I hear from them.",
    "Thanks for trying. Could you log out and back in once? That refreshes your account on the "
    "phone.",
    "I've checked again on our side and made a change to your account; could you try once more?",
)
CUSTOMER_THANKS = (
    "Thanks, that worked!", "ok thanks", "Thank you for the quick answer.", "Great, thanks!",
    "Perfect, appreciate it.", "That's fine, thank you.", "all good now :)", "Works now. Thanks!",
)  # fmt: skip
AGENT_CLOSING = (
    "Glad that's sorted! Let us know if anything else comes up.",
    "Happy to help. I'll close this ticket now; just reply if you need anything else.",
    "Thanks for your patience. Marking this as solved.",
    "You're welcome! Enjoy your meals.",
)
CSAT_COMMENTS = {
    5: ("Super fast, thank you!", "Great support", "Very helpful", ""),
    4: ("Good, thanks", "", "Took a while but solved"),
    3: ("OK", "", "Still not sure it's fixed"),
    2: ("Slow answer", "Didn't really solve my problem"),
    1: ("Terrible", "Nobody helped me", "Still charged, no refund"),
}


def ticket_text(rng: random.Random, topic: str, facts: dict[str, str]) -> tuple[str, str, Intent]:
    """A subject and body for a ticket on a topic, in one of many voices, and its intent."""
    intent = rng.choice(INTENTS[topic])
    subject = _fill(rng, intent.subjects, facts)
    body = _fill(rng, intent.bodies, facts)
    if rng.random() < 0.35:
        body = typos(rng, body)
    greeting = rng.choice(GREETINGS)
    signoff = rng.choice(SIGNOFFS).format(first=facts["first"], name=facts["name"])
    parts = [part for part in (greeting, body, signoff) if part]
    if rng.random() < 0.2:
        subject = subject.lower()
    return subject[:300], "\n\n".join(parts), intent


def agent_reply(
    rng: random.Random, replies: tuple[str, ...], facts: dict[str, str], agent: str
) -> str:
    """An agent's answer: greeting, the answer for the intent, signature."""
    opening = rng.choice((f"Hi {facts['first']},", f"Hello {facts['first']},", "Hi there,"))
    return f"{opening}\n\n{_fill(rng, replies, facts)}\n\n{agent}\nLittle Bites Support"


def conversation(rng: random.Random, rounds: int, closing: bool = True) -> list[tuple[str, str]]:
    """The exchanges after the first answer: 'not yet' and a follow-up, then thanks and a close."""
    messages = []
    for _ in range(rounds - 1):
        messages.append(("customer", rng.choice(CUSTOMER_NOT_YET)))
        messages.append(("agent", rng.choice(AGENT_FOLLOW_UP)))
    if rounds:
        messages.append(("customer", rng.choice(CUSTOMER_THANKS)))
        if closing:
            messages.append(("agent", rng.choice(AGENT_CLOSING)))
    return messages
