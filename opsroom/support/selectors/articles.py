"""Knowledge-base articles that answer a text: TF-IDF over the published articles."""

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from opsroom.support.models import Article

MATCH_MIN = 0.1


@dataclass(frozen=True)
class ArticleMatch:
    article: Article
    score: float


def articles_matching(*, text: str, limit: int = 3) -> list[ArticleMatch]:
    """The published articles most like a text (a help-form question, a ticket), best first."""
    articles = list(Article.objects.filter(status=Article.Status.PUBLISHED))
    if not articles or not text.strip():
        return []
    documents = [f"{a.title} {a.title} {' '.join(a.tags)} {a.body}" for a in articles]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:
        return []
    query = vectorizer.transform([text])
    scores = np.asarray((matrix @ query.T).todense()).ravel()
    ranked = sorted(range(len(articles)), key=lambda i: -scores[i])[:limit]
    return [
        ArticleMatch(articles[i], round(float(scores[i]), 3))
        for i in ranked
        if scores[i] >= MATCH_MIN
    ]
