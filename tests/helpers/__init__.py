"""Helpers of the tests: plain functions and classes, imported by name. Fixtures live in
each folder's conftest.py, never here."""
