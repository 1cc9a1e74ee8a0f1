"""Tests of the visitor-counter app (app/), against real PostgreSQL and SQLite."""
