"""What Little Bites sells and ships: plans, coupons, feature flags, the experiment, recipes."""

from dataclasses import dataclass
from typing import Any

APP_NAME = "Little Bites"
APP_DOMAIN = "littlebites.app"


@dataclass(frozen=True)
class PlanDef:
    price_id: str
    code: str
    name: str
    tier: str
    interval: str
    amount: int  # cents per interval
    trial_days: int
    is_active: bool = True

    @property
    def is_annual(self) -> bool:
        return self.interval == "year"

    @property
    def monthly_value(self) -> float:
        return self.amount / (12 if self.is_annual else 1)


FREE = PlanDef("price_free", "free", "Free", "free", "month", 0, 0)
PREMIUM_MONTHLY_LEGACY = PlanDef(
    "price_1OQm7yLbPrem0999", "premium_monthly_2024", "Premium monthly (2024 price)", "premium",
    "month", 999, 14, is_active=False,
)  # fmt: skip
PREMIUM_MONTHLY = PlanDef(
    "price_1PdK2mLbPrem1299", "premium_monthly", "Premium monthly", "premium", "month", 1299, 14
)
PREMIUM_ANNUAL = PlanDef(
    "price_1PdK3nLbPremY9900", "premium_annual", "Premium annual", "premium", "year", 9900, 14
)
FAMILY_MONTHLY = PlanDef(
    "price_1PdK4pLbFam1999", "family_monthly", "Family monthly", "family", "month", 1999, 14
)
FAMILY_ANNUAL = PlanDef(
    "price_1PdK5qLbFamY14900", "family_annual", "Family annual", "family", "year", 14900, 14
)
PLANS = (
    FREE,
    PREMIUM_MONTHLY_LEGACY,
    PREMIUM_MONTHLY,
    PREMIUM_ANNUAL,
    FAMILY_MONTHLY,
    FAMILY_ANNUAL,
)


def plan_for(*, tier: str, annual: bool, legacy_price: bool) -> PlanDef:
    """The plan a person picks for a tier and interval (early monthly premium kept its price)."""
    if tier == "family":
        return FAMILY_ANNUAL if annual else FAMILY_MONTHLY
    if annual:
        return PREMIUM_ANNUAL
    return PREMIUM_MONTHLY_LEGACY if legacy_price else PREMIUM_MONTHLY


# What each plan includes, for the support automation that answers "is X on my plan?".
FEATURES: tuple[dict[str, Any], ...] = (
    {
        "key": "meal-plans",
        "name": "Weekly meal plans",
        "aliases": ["meal plan", "meal plans", "weekly plan"],
        "plans": ["premium", "family"],
        "where": "Open the Plan tab; a new week is ready every Sunday.",
    },
    {
        "key": "print-pdf",
        "name": "Print / PDF of the weekly plan",
        "aliases": ["print", "printing", "pdf"],
        "plans": ["premium", "family"],
        "where": "Open the week, tap the share icon and choose 'Print / PDF'.",
    },
    {
        "key": "allergy-filter",
        "name": "Allergy filter",
        "aliases": ["allergy filter", "allergies", "allergy"],
        "plans": [],
        "where": "In your child's profile, tap Allergies.",
    },
    {
        "key": "food-log-per-child",
        "name": "Food log per child",
        "aliases": ["food log", "log per child"],
        "plans": ["family"],
        "where": "Each child's profile has its own Food log.",
    },
    {
        "key": "shared-grocery-list",
        "name": "Shared grocery list",
        "aliases": ["grocery list", "shopping list", "share the plan", "partner"],
        "plans": ["family"],
        "where": "Settings > Family > Invite a partner.",
    },
    {
        "key": "ai-coach",
        "name": "AI coach",
        "aliases": ["ai coach", "coach"],
        "plans": ["premium", "family"],
        "where": "Tap the coach icon on the home screen.",
    },
)


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: int
    months: int | None  # None: forever


COUPON_WELCOME = Coupon("WELCOME20", 20, 3)
COUPON_WINBACK = Coupon("COMEBACK50", 50, 3)
COUPON_PARTNER = Coupon("PARTNER25", 25, None)
COUPON_SAVE = Coupon("STAY30", 30, 3)  # offered by support to people about to cancel

# Flags and the stories behind them. Exposures are what the app actually served.
FLAG_RECIPE_UI = "new_recipe_ui"
FLAG_AI_COACH = "ai_coach_v2"
FLAG_GROCERY = "grocery_integration"
FLAG_TEMPLATES = "meal_plan_templates"
FLAG_DARK_MODE = "dark_mode"
AI_COACH_ROLLOUT_BEFORE = 10  # percent until the rollout was widened
AI_COACH_ROLLOUT = 25
GROCERY_COUNTRIES = ["US", "CA", "GB"]


def flag_rows() -> list[dict[str, object]]:
    """The host app's feature flags as they stand today."""
    on_off = [{"key": "on", "weight": 1}]
    return [
        {
            "key": FLAG_RECIPE_UI,
            "name": "New recipe page",
            "description": "Redesigned recipe page with a sticky 'Add to plan' button (A/B test).",
            "variants": [{"key": "control", "weight": 50}, {"key": "test", "weight": 50}],
            "default_variant": "control",
            "rollout_percent": 100,
        },
        {
            "key": FLAG_AI_COACH,
            "name": "AI feeding coach v2",
            "description": "The second version of the picky-eating coach; beta testers first.",
            "variants": on_off,
            "default_variant": "off",
            "rules": [{"attribute": "beta_tester", "op": "eq", "value": True, "variant": "on"}],
            "rollout_percent": AI_COACH_ROLLOUT,
        },
        {
            "key": FLAG_GROCERY,
            "name": "Grocery delivery integration",
            "description": "Send a grocery list to a delivery partner; launch countries only.",
            "variants": on_off,
            "default_variant": "off",
            "rules": [
                {"attribute": "country", "op": "in", "value": GROCERY_COUNTRIES, "variant": "on"}
            ],
            "rollout_percent": 0,
        },
        {
            "key": FLAG_TEMPLATES,
            "name": "Meal plan templates",
            "description": "Start a week from a ready-made template (launched to everyone).",
            "variants": on_off,
            "default_variant": "off",
            "rollout_percent": 100,
        },
        {
            "key": FLAG_DARK_MODE,
            "name": "Dark mode",
            "description": "Dark theme in the apps.",
            "variants": on_off,
            "default_variant": "off",
            "rollout_percent": 100,
        },
    ]


EXPERIMENT_KEY = "recipe-page-redesign"
EXPERIMENT_METRIC = "recipe_added"

RECIPES = (
    ("Hidden-veggie mac and cheese", "american", "dinner"),
    ("Sheet-pan chicken fajitas", "mexican", "dinner"),
    ("Mini turkey meatballs", "italian", "dinner"),
    ("Banana oat pancakes", "american", "breakfast"),
    ("Salmon and sweet potato fishcakes", "british", "dinner"),
    ("Veggie fried rice", "chinese", "dinner"),
    ("Lentil bolognese", "italian", "dinner"),
    ("Chicken katsu curry", "japanese", "dinner"),
    ("Rainbow veggie wraps", "american", "lunch"),
    ("Cheesy broccoli bites", "american", "snack"),
    ("Mild butter chicken", "indian", "dinner"),
    ("Spinach and ricotta pasta shells", "italian", "dinner"),
    ("Apple cinnamon overnight oats", "american", "breakfast"),
    ("Black bean quesadillas", "mexican", "lunch"),
    ("Teriyaki tofu bowls", "japanese", "dinner"),
    ("Shakshuka for beginners", "middle_eastern", "breakfast"),
    ("Pea and mint risotto", "italian", "dinner"),
    ("Homemade fish fingers", "british", "dinner"),
    ("Carrot and lentil soup", "british", "lunch"),
    ("Chicken and corn chowder", "american", "dinner"),
    ("Zucchini muffins", "american", "snack"),
    ("Greek chicken souvlaki", "greek", "dinner"),
    ("Falafel with yogurt dip", "middle_eastern", "lunch"),
    ("Mild beef tacos", "mexican", "dinner"),
    ("Pumpkin gnocchi", "italian", "dinner"),
    ("Egg muffin cups", "american", "breakfast"),
    ("Coconut dal", "indian", "dinner"),
    ("Pesto pasta salad", "italian", "lunch"),
    ("Sweet potato black bean chili", "mexican", "dinner"),
    ("Baked chicken nuggets", "american", "dinner"),
    ("Mango chia pudding", "thai", "snack"),
    ("Bibimbap for kids", "korean", "dinner"),
    ("Swedish meatballs", "swedish", "dinner"),
    ("Ratatouille bake", "french", "dinner"),
    ("Quinoa veggie patties", "american", "lunch"),
    ("Peanut-free satay noodles", "thai", "dinner"),
    ("Cauliflower cheese", "british", "dinner"),
    ("Berry yogurt popsicles", "american", "snack"),
    ("Mini pizza bagels", "american", "lunch"),
    ("Honey garlic salmon", "american", "dinner"),
)
FOODS = (
    "broccoli", "carrots", "peas", "salmon", "lentils", "avocado", "spinach", "sweet potato",
    "zucchini", "cauliflower", "tofu", "chickpeas", "mushrooms", "bell pepper", "tomatoes",
    "eggs", "quinoa", "green beans", "beetroot", "kiwi", "blueberries", "mango", "cheese",
    "chicken", "fish fingers", "rice", "oatmeal", "yogurt", "corn", "asparagus",
)  # fmt: skip
REACTIONS = (("refused", 30), ("tasted", 28), ("ate_some", 25), ("loved", 17))
TEMPLATES = (
    "5-night-family-dinners",
    "picky-eater-starter-week",
    "batch-cook-sunday",
    "budget-week",
    "meatless-mondays",
    "school-lunchbox-week",
)
COACH_TOPICS = (
    "picky_eating",
    "new_foods",
    "portion_sizes",
    "snacks",
    "allergies",
    "toddler_meals",
)
