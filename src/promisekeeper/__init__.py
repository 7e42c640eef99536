"""Promisekeeper: promise customers only what the business can deliver."""
