"""Insights only reads; writes belong to the apps that own the data."""
