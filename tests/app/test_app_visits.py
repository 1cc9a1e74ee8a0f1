"""Counting visits in batches (app/visits.py) on each database the app supports."""
import threading
from typing import Sequence

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.database import Visitor, VisitorTotal, db
from app.visits import Recorded, VisitCount, VisitCounter, each_visit
from tests.app.conftest import BUILD_ENV, migrate_to


def counter(app: Flask) -> VisitCounter:
    counter: VisitCounter = app.extensions["visitor_page"].counter
    return counter


def visits_by_address(app: Flask) -> dict[str | None, int | None]:
    with app.app_context():
        return {row.ip: row.visits for row in db.session.scalars(select(Visitor))}


def unique_visitors(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalars(select(func.sum(VisitorTotal.unique_visitors))).one())


def test_an_addresss_visits_in_a_batch_count_up_to_its_rows_value() -> None:
    counts = each_visit(["a", "b", "a", "a"], Recorded(visits={"a": 7, "b": 1}, unique_visitors=9))
    assert counts == [VisitCount(5, 9), VisitCount(1, 9), VisitCount(6, 9), VisitCount(7, 9)]


def test_a_batch_counts_every_visit_once_in_one_statement(migrated_app: Flask) -> None:
    visits = counter(migrated_app)
    assert visits.record("192.0.2.1") == VisitCount(visits=1, unique_visitors=1)
    batch = visits.record_batch(["192.0.2.2", "192.0.2.1", "2001:db8::1", "192.0.2.1"])
    assert batch == [VisitCount(1, 3), VisitCount(2, 3), VisitCount(1, 3), VisitCount(3, 3)]
    assert visits_by_address(migrated_app) == {"192.0.2.1": 3, "192.0.2.2": 1, "2001:db8::1": 1}
    assert unique_visitors(migrated_app) == 3


def test_a_legacy_row_with_no_visits_counts_from_zero(migrated_app: Flask) -> None:
    with migrated_app.app_context():
        db.session.add(Visitor(ip="192.0.2.9", visits=None))
        db.session.commit()
    assert counter(migrated_app).record_batch(["192.0.2.9", "192.0.2.9"]) == [
        VisitCount(visits=1, unique_visitors=1), VisitCount(visits=2, unique_visitors=1)]


@pytest.mark.slow
def test_processes_batching_the_same_addresses_in_opposite_orders_never_deadlock(
        postgres_url: str) -> None:
    """Two apps stand for two gunicorn workers: separate pools, batches of the same addresses.
    Upserted in the order given, such batches would lock rows in opposite orders and deadlock.
    (PostgreSQL only: SQLite serialises its writers, and has no row locks to deadlock on.)"""
    apps = [create_app({"DATABASE_URL": postgres_url, **BUILD_ENV}) for _ in range(2)]
    migrate_to(apps[0])
    addresses = [f"198.51.100.{n}" for n in range(1, 41)]
    rounds = 25
    errors: list[BaseException] = []

    def visit(app: Flask, batch: Sequence[str]) -> None:
        try:
            for _ in range(rounds):
                counter(app).record_batch(batch)
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=visit, args=(app, order))
               for app in apps for order in (addresses, addresses[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert set(visits_by_address(apps[0]).values()) == {len(threads) * rounds}
    assert unique_visitors(apps[0]) == len(addresses)
