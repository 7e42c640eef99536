"""Insights has no models to administer."""
