"""Derived tables across apps, maintained by tasks and read by requests."""

from django.db import models


class FeatureLift(models.Model):
    """Retention of comparable people who adopted a feature early, against those who did not.

    Computed daily (analytics/services/lift.py): adoption = used in the first 30 days after
    signup; retained = active in days 60-90 after signup; comparable = same plan tier.
    """

    segment = models.CharField(max_length=64)
    feature = models.CharField(max_length=100)
    adopters = models.PositiveIntegerField()
    adopters_retained = models.PositiveIntegerField()
    others = models.PositiveIntegerField()
    others_retained = models.PositiveIntegerField()
    lift = models.FloatField()
    p_value = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "feature"], name="feature_lift_once"),
        ]

    def __str__(self) -> str:
        return f"{self.segment}/{self.feature}: x{self.lift:.2f}"


class ErrorSpread(models.Model):
    """How many people one error fingerprint reached recently, and whether a release stopped it.

    Refreshed hourly from the error and API-request logs (see analytics/services/spread.py).
    """

    fingerprint = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=500, blank=True)
    endpoint = models.CharField(max_length=200, blank=True)
    people = models.PositiveIntegerField()
    occurrences = models.PositiveIntegerField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_release = models.CharField(max_length=100, blank=True)
    # [{"release", "occurrences", "first_seen", "last_seen"}], oldest release first.
    releases = models.JSONField(default=list)
    # A release first seen after the last occurrence, with traffic and no occurrence since.
    fixed_in_release = models.CharField(max_length=100, blank=True)
    fixed_release_first_seen_at = models.DateTimeField(null=True, blank=True)
    fixed_release_requests = models.PositiveIntegerField(default=0)
    window_days = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.fingerprint}: {self.people} people"


class Alert(models.Model):
    """Something an operator should know now: an anomaly, an automatic rollback, a budget
    projection. Sent by email and signed webhook when raised (analytics/alerts.py)."""

    class Kind(models.TextChoices):
        ANOMALY = "anomaly", "Anomaly"
        ROLLBACK = "rollback", "Automatic rollback"
        AI_BUDGET = "ai_budget", "AI budget"
        AI_LIMIT = "ai_limit", "AI cost limit reached"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)  # the page that explains it
    # One alert per fact: a rollout, an anomaly, a budget month.
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="alert_time")]
        permissions = [("manage_alerts", "Can acknowledge alerts, snooze and tune anomaly alerts")]

    def __str__(self) -> str:
        return self.title


class ErrorImpact(models.Model):
    """What one error group did to the people it reached, against comparable people who did
    not hit it (analytics/services/impact.py), refreshed hourly with the error spread.

    `outcomes`: [{"key", "label", "affected_n", "affected_hits", "comparable_n",
    "comparable_hits", "difference", "ci_low", "ci_high", "p_value"}].
    """

    fingerprint = models.CharField(max_length=200, unique=True)
    comparison = models.CharField(max_length=300)  # who the comparable people are
    affected = models.PositiveIntegerField()
    comparable = models.PositiveIntegerField()
    outcomes = models.JSONField(default=list)
    mrr_at_stake = models.BigIntegerField(default=0)  # minor units
    currency = models.CharField(max_length=3)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"impact of {self.fingerprint}"


class MetricWatch(models.Model):
    """One watched metric series: its alert settings (set by staff) and its latest state
    (written by the hourly anomaly watch, so the page reads one table)."""

    class Sensitivity(models.TextChoices):
        HIGH = "high", "High (more alerts)"
        DEFAULT = "default", "Default"
        LOW = "low", "Low (fewer alerts)"
        OFF = "off", "Off (no anomalies)"

    key = models.CharField(max_length=300, unique=True)  # e.g. "errors", "endpoint_errors:GET /x"
    label = models.CharField(max_length=300)
    step = models.CharField(max_length=4)  # hour or day
    sensitivity = models.CharField(
        max_length=8, choices=Sensitivity.choices, default=Sensitivity.DEFAULT
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    last_bucket = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_expected = models.FloatField(null=True, blank=True)
    last_score = models.FloatField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # The last 7 days (hourly) or 60 days (daily) as the watch saw them, for the chart:
    # [[bucket start (Unix seconds), value or None, expected or None, score]].
    recent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Anomaly(models.Model):
    """A point of a watched series the detector found unusual, with what else moved then and
    the releases that shipped just before (analytics/services/anomalies.py)."""

    class Direction(models.TextChoices):
        UP = "up", "Above expected"
        DOWN = "down", "Below expected"

    metric = models.ForeignKey(MetricWatch, on_delete=models.CASCADE, related_name="anomalies")
    bucket = models.DateTimeField()  # the start of the hour or day
    value = models.FloatField()
    expected = models.FloatField()
    score = models.FloatField()
    z = models.FloatField()
    direction = models.CharField(max_length=4, choices=Direction.choices)
    # [{"key", "label", "value", "expected", "z"}]: other series far from expected then.
    moved = models.JSONField(default=list)
    # [{"release", "first_seen"}]: releases first seen in the day before.
    releases = models.JSONField(default=list)
    snoozed = models.BooleanField(default=False)  # found while its metric was snoozed
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="anomalies"
    )
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ["-bucket", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "bucket"], name="anomaly_once"),
        ]
        indexes = [models.Index(fields=["-bucket"], name="anomaly_time")]
        verbose_name_plural = "anomalies"

    def __str__(self) -> str:
        return f"{self.metric_id} @ {self.bucket:%Y-%m-%d %H:%M}"


class LatencyHour(models.Model):
    """The API calls of one hour and the 95th percentile of their durations (the anomaly
    watch's p95 latency series), kept so a run recomputes only its last hours
    (analytics/services/latency.py)."""

    bucket = models.DateTimeField(unique=True)  # the start of the hour (UTC)
    calls = models.PositiveIntegerField()
    p95_ms = models.FloatField(null=True, blank=True)  # None: too few calls for a p95
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:00} p95 {self.p95_ms}"


class AnomalyLabel(models.Model):
    """A known anomaly of a watched metric: the window in which a detector should raise an
    alarm (planted by the demo world, or loaded from a labels file) to measure the detector
    on this database (`manage.py analytics_anomaly_eval`)."""

    metric = models.CharField(max_length=300)  # a MetricWatch key, e.g. "ai_cost"
    start = models.DateTimeField()
    end = models.DateTimeField()  # exclusive
    source = models.CharField(max_length=32)  # who labelled it: "demo", a file name
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["start", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "start", "source"], name="label_once"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class EndpointPerformance(models.Model):
    """One endpoint's calls, errors and latency over the last days, in all releases (release
    "") and per release, each release compared with the one before it on the same endpoint.
    Refreshed hourly (analytics/services/performance.py)."""

    method = models.CharField(max_length=8)
    route = models.CharField(max_length=200)
    release = models.CharField(max_length=100, blank=True)  # "": every release together
    calls = models.PositiveIntegerField()
    server_errors = models.PositiveIntegerField()  # 5xx
    client_errors = models.PositiveIntegerField()  # 4xx
    p50_ms = models.FloatField()
    p95_ms = models.FloatField()
    p99_ms = models.FloatField()
    max_ms = models.FloatField()
    db_share = models.FloatField(null=True, blank=True)  # database time / duration, where sent
    queries_median = models.FloatField(null=True, blank=True)
    queries_p95 = models.FloatField(null=True, blank=True)
    queries_max = models.PositiveIntegerField(null=True, blank=True)
    many_queries = models.BooleanField(default=False)  # many queries per call (see the service)
    # The time split, over the calls that sent one (database and/or external time).
    split_calls = models.PositiveIntegerField(default=0)
    db_ms_mean = models.FloatField(null=True, blank=True)
    external_ms_mean = models.FloatField(null=True, blank=True)
    other_ms_mean = models.FloatField(null=True, blank=True)
    # N+1 suspects, over the calls that sent query spans (telemetry/spans.py has the rule).
    span_calls = models.PositiveIntegerField(default=0)
    n_plus_one_calls = models.PositiveIntegerField(default=0)
    n_plus_one_fingerprint = models.CharField(max_length=64, blank=True)  # the most frequent
    n_plus_one_sql = models.CharField(max_length=500, blank=True)
    n_plus_one_examples = models.JSONField(default=list, blank=True)  # request ids, worst first
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # Against the release before it on this endpoint (release rows only).
    previous_release = models.CharField(max_length=100, blank=True)
    previous_calls = models.PositiveIntegerField(null=True, blank=True)
    previous_p50_ms = models.FloatField(null=True, blank=True)
    previous_p95_ms = models.FloatField(null=True, blank=True)
    previous_error_rate = models.FloatField(null=True, blank=True)
    latency_p_value = models.FloatField(null=True, blank=True)  # one-sided Mann-Whitney U
    error_p_value = models.FloatField(null=True, blank=True)  # one-sided two-proportion z
    slower = models.BooleanField(default=False)
    more_errors = models.BooleanField(default=False)
    window_days = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["method", "route", "release"], name="endpoint_performance_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.release or '(all)'}"

    @property
    def error_rate(self) -> float:
        return self.server_errors / self.calls if self.calls else 0.0

    @property
    def is_regression(self) -> bool:
        return self.slower or self.more_errors


class AiCostLimit(models.Model):
    """The monthly AI budget (endpoint "") or one endpoint's daily or monthly AI cost limit,
    which the host app reads to throttle that endpoint: GET /api/v1/ai/limits, and the flag
    `flag_key` in GET /api/v1/flags, switched on while the period's spend is at or over the
    limit (analytics/services/ai_limits.py)."""

    class Period(models.TextChoices):
        DAY = "day", "Day (UTC)"
        MONTH = "month", "Month (UTC)"

    endpoint = models.CharField(max_length=200, unique=True, blank=True)
    amount_micros = models.BigIntegerField()  # millionths of OPSROOM_AI_CURRENCY
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.DAY)
    flag_key = models.CharField(max_length=100, blank=True)  # endpoints only
    # When the spend of the current period reached the limit; None while under it.
    throttled_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        permissions = [("manage_ai_cost", "Can set the AI budget and endpoints' AI cost limits")]

    def __str__(self) -> str:
        return f"{self.endpoint or 'monthly budget'}: {self.amount_micros / 1e6:g}"


class Funnel(models.Model):
    """A funnel: ordered event names, a conversion window and the days of entries it looks at.
    Its figures are computed by a task into FunnelResult (requests never scan events)."""

    name = models.CharField(max_length=200)
    steps = models.JSONField()  # event names, in order, 2 to 8
    window_days = models.PositiveSmallIntegerField(default=14)
    period_days = models.PositiveSmallIntegerField(default=30)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FunnelResult(models.Model):
    """A funnel's figures when last computed (analytics/services/funnels.py).

    steps: [{"name", "people", "from_start", "from_previous", "dropped", "median_seconds"}];
    breakdowns: {dimension: {"p_value", "rows": [{"value", "entered", "completed", "rate"}]}};
    dropped: {"<step index>": [person ids who reached that step and not the next]}.
    """

    funnel = models.OneToOneField(Funnel, on_delete=models.CASCADE, related_name="result")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    entered = models.PositiveIntegerField()
    steps = models.JSONField(default=list)
    median_seconds_to_value = models.FloatField(null=True, blank=True)  # signup to last step
    breakdowns = models.JSONField(default=dict)
    dropped = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.funnel_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


class CohortComparison(models.Model):
    """People who signed up in the last months, grouped one way (signup month, channel,
    platform or plan), side by side: retention, activity and feature adoption, each group
    tested against the rest (analytics/services/cohorts.py). Recomputed daily.

    rows: [{"group", "people", "metrics": {key: {"n", "value", "p_adjusted", "direction"}}}].
    """

    dimension = models.CharField(max_length=20, unique=True)
    signup_from = models.DateTimeField()
    signup_to = models.DateTimeField()
    features = models.JSONField(default=list)  # the event names whose adoption is compared
    rows = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"cohorts by {self.dimension}"


class ActionPerformance(models.Model):
    """One user action's (or screen's) API calls over the last days, as the host app names it
    in `action`: latency, time split, queries and N+1 suspects. Refreshed hourly with
    EndpointPerformance."""

    action = models.CharField(max_length=100, unique=True)
    calls = models.PositiveIntegerField()
    server_errors = models.PositiveIntegerField()
    p50_ms = models.FloatField()
    p95_ms = models.FloatField()
    endpoints = models.PositiveIntegerField()  # distinct endpoints it called
    main_endpoint = models.CharField(max_length=210, blank=True)  # "METHOD route", most called
    split_calls = models.PositiveIntegerField(default=0)
    db_ms_mean = models.FloatField(null=True, blank=True)
    external_ms_mean = models.FloatField(null=True, blank=True)
    other_ms_mean = models.FloatField(null=True, blank=True)
    queries_median = models.FloatField(null=True, blank=True)
    queries_p95 = models.FloatField(null=True, blank=True)
    span_calls = models.PositiveIntegerField(default=0)
    n_plus_one_calls = models.PositiveIntegerField(default=0)
    n_plus_one_examples = models.JSONField(default=list, blank=True)
    window_days = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.action


class PerformanceSummary(models.Model):
    """What the hourly endpoint-performance job found beyond each endpoint: the slowest calls
    of the last day (by id), so the page need not sort a day of calls."""

    key = models.CharField(max_length=20, unique=True, default="latest")
    slowest_ids = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"performance summary @ {self.computed_at:%Y-%m-%d %H:%M}"


class AiCostSnapshot(models.Model):
    """The AI cost dashboard's month figures, kept by the hourly AI budget job (the page and
    GET /api/v1/ai/cost read it; the limits stay live). `data`: see services/ai_cost.py."""

    month = models.CharField(max_length=7, unique=True)  # YYYY-MM
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"AI cost {self.month}"


class AttributionCell(models.Model):
    """One signup month's people credited to one channel, campaign or landing page
    (analytics/services/attribution.py), recomputed hourly; the page sums the months asked.

    figures: {"first": {...}, "last": {...}, "any": {...}}: the people whose first touch, last
    touch, or any touch up to signup was this one, each {"signups", "trials", "customers",
    "paying", "mrr"} (customers: paid at some point; paying and mrr: now).
    """

    class Dimension(models.TextChoices):
        CHANNEL = "channel", "Channel"
        CAMPAIGN = "campaign", "Campaign"
        CONTENT = "content", "Landing page"

    month = models.DateField()  # the first day of the signup month
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    channel = models.CharField(max_length=64, blank=True)
    campaign = models.CharField(max_length=128, blank=True)
    landing_page = models.CharField(max_length=300, blank=True)
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "month", "channel", "campaign", "landing_page"],
                name="attribution_cell_once",
            ),
        ]

    def __str__(self) -> str:
        key = self.landing_page or f"{self.channel}/{self.campaign}"
        return f"{self.dimension} {self.month:%Y-%m} {key}"
