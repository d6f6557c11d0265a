"""Schemas of the revenue API, one module per part of the command center."""
