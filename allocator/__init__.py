"""Allocator of municipal rental housing: rules, CP-SAT model, checker, CLI."""

__version__ = "0.1.0"
