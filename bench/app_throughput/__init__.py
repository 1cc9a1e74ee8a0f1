"""Throughput of the visitor counter on gunicorn and PostgreSQL: python -m bench.app_throughput

Its helpers (a throwaway PostgreSQL cluster, a gunicorn launcher) are also what the app's tests
use, so the benchmark and the tests always exercise the same real server set-up.
"""
