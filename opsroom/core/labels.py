"""Machine names as words."""

# Words that stay in capitals: 'ai_coach_message' -> 'AI coach message'.
ACRONYMS = {
    "ai": "AI",
    "api": "API",
    "csv": "CSV",
    "id": "ID",
    "pdf": "PDF",
    "ui": "UI",
    "url": "URL",
}


def name_label(name: str) -> str:
    """'meal_plan_created', 'meal-plan.created' -> 'Meal plan created'."""
    text = str(name).replace("_", " ").replace("-", " ").replace(".", " ").strip().capitalize()
    return " ".join(ACRONYMS.get(word.lower(), word) for word in text.split(" "))
