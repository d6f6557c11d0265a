"""What the triage classifier reads of a ticket: pure functions of text.

The same functions prepare the text when training and when predicting, so the classifier
sees tickets the same way in both.
"""

import re
import unicodedata

from sklearn.feature_extraction.text import TfidfVectorizer

MAX_CHARS = 2000
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_SPACE = re.compile(r"\s+")
# The quoted thread under an email reply ("On Tue, Jane wrote:" and "> ..." lines) repeats
# earlier messages; the new words are above it.
_QUOTE_HEADER = re.compile(r"^\s*On .{0,200}wrote:\s*$", re.IGNORECASE | re.MULTILINE)


def text_normalize(text: str) -> str:
    """Unicode-normalised text with links and addresses masked and spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _URL.sub(" link ", text)
    text = _EMAIL.sub(" email ", text)
    return _SPACE.sub(" ", text).strip()


def reply_strip_quoted(body: str) -> str:
    """The body of an email without the quoted earlier messages under it."""
    match = _QUOTE_HEADER.search(body or "")
    if match:
        body = body[: match.start()]
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


def ticket_text(*, subject: str, body: str) -> str:
    """The one text a ticket is classified by: its subject, then its new words."""
    subject = text_normalize(subject)
    body = text_normalize(reply_strip_quoted(body))
    if subject and body and subject[-1] not in ".?!:":
        subject += "."
    return f"{subject} {body}".strip()[:MAX_CHARS]


def word_vectorizer() -> TfidfVectorizer:
    """Words and word pairs, sublinear counts."""
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)


def char_vectorizer() -> TfidfVectorizer:
    """Character 2- to 5-grams inside word boundaries: robust to typos and word forms."""
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=True
    )
