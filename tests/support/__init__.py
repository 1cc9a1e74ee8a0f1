"""Helpers shared by tests and benchmarks: an isolated deploy stack, a bounded load."""
