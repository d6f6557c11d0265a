"""Support's learned components: the ticket category classifier and its rule baseline."""
