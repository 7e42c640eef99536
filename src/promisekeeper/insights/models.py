"""Insights has no tables of its own."""
