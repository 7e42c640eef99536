#!/usr/bin/env python
"""Convenience entry point; the installed `promisekeeper` command does the same."""

from promisekeeper.__main__ import main

if __name__ == "__main__":
    main()
