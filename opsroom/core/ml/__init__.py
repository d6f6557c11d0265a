"""The learning toolkit every app uses: the model store, time-based splits, evaluation against a
rule baseline, calibration, confidence thresholds, sentence embeddings and the model cards.

Each learned component trains on the operator's own data, is evaluated on held-out data, is
stored with its metrics (`services.model_artifact_save`) and is used only while it beats its
rule baseline (`selectors.model_active_load`); docs/models.md explains the whole loop.
"""
