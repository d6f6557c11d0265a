"""What each revenue figure means, in one place: the definitions page, the cards' links and the
API read these (docs/revenue.md explains the choices behind them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    text: str


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "mrr",
        "MRR",
        "Monthly recurring revenue: every paying subscription normalised to a month (annual "
        "÷ 12), times its quantity, minus the discounts running, tax excluded. Trials are not "
        "MRR; past-due subscriptions count until they end. Other currencies are converted at "
        "the rate of each movement's day.",
    ),
    Definition(
        "movements",
        "MRR movements",
        "What each day did to each customer's MRR: new (0 to more, first time), reactivation "
        "(0 to more, paid before), expansion and contraction (up or down, staying above 0; a "
        "second subscription canceled is contraction, a discount ending is expansion), churn "
        "(down to 0). MRR at a period's end = MRR at its start + the movements.",
    ),
    Definition("arr", "ARR", "MRR x 12. Its change is against ARR 365 days ago."),
    Definition(
        "growth",
        "MRR growth (month on month)",
        "MRR today - MRR 30 days ago, ÷ MRR 30 days ago, against the target the operators set.",
    ),
    Definition(
        "subscriptions",
        "Active subscriptions",
        "Subscriptions counting MRR today, and the net change over the last 30 days.",
    ),
    Definition(
        "customer_churn",
        "Customer churn rate (30 days)",
        "Customers whose MRR went to 0 in the last 30 days ÷ paying customers 30 days ago, "
        "beside the same rate for the 30 days before.",
    ),
    Definition(
        "gross_mrr_churn",
        "Gross MRR churn",
        "(Churned + contraction MRR in the last 30 days) ÷ MRR 30 days ago.",
    ),
    Definition(
        "net_mrr_churn",
        "Net MRR churn",
        "(Churned + contraction - expansion - reactivation MRR in the last 30 days) ÷ MRR 30 "
        "days ago. Negative when expansion outgrew the losses.",
    ),
    Definition("arpa", "ARPA", "Average revenue per account: MRR ÷ paying customers."),
    Definition(
        "ltv",
        "LTV",
        "ARPA ÷ the monthly customer churn rate, that rate measured over the last 90 days "
        "(OPSROOM_REVENUE_LTV_CHURN_DAYS) and scaled to 30 days.",
    ),
    Definition(
        "quick_ratio",
        "Quick ratio",
        "(New + expansion + reactivation MRR) ÷ (churned + contraction MRR), last 30 days. "
        "Above 4 is strong growth; below 1 the business shrinks.",
    ),
    Definition(
        "nrr",
        "Net revenue retention",
        "MRR today of the customers who were paying 30 days ago ÷ their MRR 30 days ago.",
    ),
    Definition(
        "cac",
        "CAC",
        "Marketing spend of the last 3 complete months (OPSROOM_REVENUE_CAC_MONTHS) ÷ new "
        "customers in those months. Reactivations are not acquisitions.",
    ),
    Definition(
        "ltv_cac",
        "LTV:CAC",
        "LTV ÷ CAC; healthy from the ratio the operators set (3 by default).",
    ),
    Definition(
        "at_risk_mrr",
        "MRR at risk",
        "MRR of the customers whose predicted probability of churning in the next 30 days is "
        "high (above 70%) or medium (40-70%).",
    ),
    Definition(
        "failed_payments",
        "Failed payments (30 days)",
        "Invoices with a failed payment attempt in the last 30 days, by the decline reason of "
        "their latest failure.",
    ),
    Definition(
        "recovery_rate",
        "Recovery rate",
        "Invoices with a failed payment that were paid within 30 days of the first failure ÷ "
        "invoices with a first failure in the period whose 30-day window has closed (or that "
        "were paid already).",
    ),
    Definition(
        "revenue_saved",
        "Revenue saved (campaigns)",
        "(Share of a campaign's treated entrants still paying after its window minus the same "
        "share of its random holdout) times the treated entrants' MRR on entry; per month, with "
        "a 95% Newcombe interval. Claimed only with at least 5 measured entrants in each group.",
    ),
)
DEFINITION_KEYS = {definition.key for definition in DEFINITIONS}
