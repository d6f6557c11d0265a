"""The Revenue section's pages, one module per page group."""
