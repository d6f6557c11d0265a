"""Retention campaigns: triggers over the churn predictions, sequences sent through messaging,
a random holdout, and the measured effect (retention and revenue saved against the holdout)."""
