"""The targets table: extraction, store, list answers, chart and CLI."""
