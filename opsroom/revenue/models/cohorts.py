"""Cohort retention, computed from the MRR ledger by the daily refresh."""

from django.db import models


class CohortCell(models.Model):
    """One cohort at one age: who of its customers still paid at the end of that month."""

    class Basis(models.TextChoices):
        FIRST_PAYMENT = "first_payment", "Month of first payment"
        SIGNUP = "signup", "Month of signup"

    basis = models.CharField(max_length=16, choices=Basis.choices)
    cohort = models.DateField()  # the first day of the cohort's month
    channel = models.CharField(max_length=64, blank=True)  # "" = every channel
    plan = models.CharField(max_length=64, blank=True)  # the first plan; "" = every plan
    age = models.PositiveSmallIntegerField()  # months after the cohort's month (0 = it)
    size = models.IntegerField(default=0)  # customers in the cohort
    start_mrr = models.BigIntegerField(default=0)  # their MRR at the end of their first month
    customers = models.IntegerField(default=0)  # of them, paying at the end of month `age`
    mrr = models.BigIntegerField(default=0)  # their MRR then
    paid = models.BigIntegerField(default=0)  # what the cohort paid up to then, net of refunds

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["basis", "cohort", "channel", "plan", "age"], name="cohort_cell_once"
            )
        ]
        indexes = [models.Index(fields=["basis", "channel", "plan", "cohort"], name="cohort_find")]

    def __str__(self) -> str:
        return f"{self.basis} {self.cohort:%Y-%m} M{self.age}: {self.customers}/{self.size}"


class CohortContext(models.Model):
    """What happened while a cohort started (errors, releases, prices, flags), computed by the
    daily cohort refresh for the cohorts the insights name, so that the cohort page and API
    read it instead of aggregating the error log per insight on each request."""

    cohort = models.DateField(unique=True)  # the first day of the cohort's month
    notes = models.JSONField(default=list, blank=True)  # plain-words lines, most telling first
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.cohort:%Y-%m}: {len(self.notes)} notes"
