"""The promising pages, one module per page: quote, deal, exceptions (the inbox), sheet (the
customer promise sheet) and notifications; ``base`` holds what they share.

Every page renders in full for a plain request (so everything works without JavaScript) and
only the named partial when htmx asks (``request.htmx``).
"""
