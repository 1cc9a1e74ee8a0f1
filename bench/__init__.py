"""Benchmarks: scripts that print figures. Speed targets live here, never in timed tests."""
