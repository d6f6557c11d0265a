from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# Sections appear in the navigation once their app provides the named page.
NAVIGATION = [
    ("people", "People", "people:index"),
    ("support", "Support", "support:index"),
    ("revenue", "Revenue", "revenue:index"),
    ("analytics", "Analytics", "analytics:index"),
    ("debug", "Debug", "debug_index"),
    ("audit", "Audit", "audit_list"),
    ("admin", "Admin", "admin:index"),
]


def _sections() -> list[tuple[str, str, str]]:
    sections = []
    for key, label, url_name in NAVIGATION:
        try:
            sections.append((key, label, reverse(url_name)))
        except NoReverseMatch:
            continue
    return sections


# The top bar's search box: where it goes and where it asks for suggestions, once the People
# section provides them.
SEARCH = ("people:go", "people:suggest")


def _search() -> dict[str, str]:
    try:
        return {"action": reverse(SEARCH[0]), "suggest": reverse(SEARCH[1])}
    except NoReverseMatch:
        return {}


def navigation(request: HttpRequest) -> dict[str, object]:
    """The main navigation, with the current section marked, and the top bar's search."""
    path = request.path
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url, "active": path.startswith(url)}
            for key, label, url in _sections()
        ],
        "top_search": _search(),
    }
