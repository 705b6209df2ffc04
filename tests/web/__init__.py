"""Fixtures and helpers for the web tests (tests/test_web_*.py)."""
