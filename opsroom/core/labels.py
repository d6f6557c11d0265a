"""Machine names as words."""


def name_label(name: str) -> str:
    """'meal_plan_created', 'meal-plan.created' -> 'Meal plan created'."""
    return str(name).replace("_", " ").replace("-", " ").replace(".", " ").strip().capitalize()
