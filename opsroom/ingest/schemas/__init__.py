"""Typed schemas of what the batch API, the importers and the webhooks accept."""
