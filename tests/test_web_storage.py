"""Storage: Alembic migrations, the schema, constraints and the append-only audit log, on
SQLite and on PostgreSQL (parametrised `db_url`)."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from web.fixtures import db_url, make_app, pg_url  # noqa: F401

from allocator.io.load import load_scenario
from allocator.web import services
from allocator.web.config import BUNDLED_SCENARIO
from allocator.web.db import alembic_config, make_engine, migrate, session_factory, transaction
from allocator.web.tables import (
    AuditEntry,
    Base,
    Decision,
    ProposalRun,
    Round,
    User,
)
from models.proposal import Proposal
from models.scenario import Scenario

TABLES = {
    "users",
    "sessions",
    "settings",
    "rounds",
    "proposals",
    "decisions",
    "audit_log",
    "alembic_version",
}


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]  # noqa: F811
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_migration_creates_every_table_and_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate(engine)  # a second start finds the schema current
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_models_match_the_migration(engine) -> None:  # type: ignore[no-untyped-def]
    """The ORM models and the migrated schema agree (autogenerate finds nothing to do)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_audit_log_refuses_update_and_delete(engine) -> None:  # type: ignore[no-untyped-def]
    factory = session_factory(engine)
    with transaction(factory) as db:
        db.add(AuditEntry(username="tester", action="test.entry", after={"x": 1}))
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with transaction(factory) as db:
        entry = db.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.after) == ("test.entry", {"x": 1})


@pytest.mark.parametrize(
    "row",
    [
        User(username="x", role="admin", password_hash="h"),
        Decision(round_id=None, kind="maybe", household="H1"),
    ],
)
def test_check_constraints(engine, row) -> None:  # type: ignore[no-untyped-def]
    if isinstance(row, Decision):
        with transaction(session_factory(engine)) as db:
            round_ = _tiny_round(db)
        row.round_id = round_.id
    with pytest.raises(IntegrityError), transaction(session_factory(engine)) as db:
        db.add(row)


def _tiny_round(db) -> Round:  # type: ignore[no-untyped-def]
    round_ = Round(
        name="r",
        as_of=dt.date(2026, 11, 23),
        scenario_json={},
        policy_json={},
        input_sha256="0" * 64,
        policy_sha256="0" * 64,
    )
    db.add(round_)
    db.flush()
    return round_


def test_round_proposal_and_decisions_round_trip(engine) -> None:  # type: ignore[no-untyped-def]
    """A round keeps its scenario snapshot, every proposal (run block and full JSON), the
    imported locks as decisions, and audit entries; datetimes come back aware (UTC)."""
    scenario = load_scenario(BUNDLED_SCENARIO)
    factory = session_factory(engine)
    with transaction(factory) as db:
        round_ = services.create_round(
            db, scenario, name="Uke 48", source="test", actor=None, time_limit_s=10
        )
    with transaction(factory) as db:
        stored = db.get(Round, round_.id)
        assert stored is not None and stored.status == "draft"
        assert Scenario.model_validate(stored.scenario_json) == scenario
        assert stored.policy_json["name"] == scenario.policy.name
        run = db.scalars(select(ProposalRun)).one()
        proposal = Proposal.model_validate(run.proposal_json)
        assert run.run_json == proposal.run.model_dump(mode="json")
        assert len(proposal.matches) == len(scenario.dwellings)
        assert run.created_at.tzinfo is not None and run.created_at.utcoffset() == dt.timedelta(0)
        kinds = {(d.kind, d.household, d.dwelling) for d in services.decisions(db, round_.id)}
        assert kinds == {("pin", p.household, p.dwelling) for p in scenario.locks.pinned} | {
            ("forbid", f.household, f.dwelling) for f in scenario.locks.forbidden
        }
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[0] == "round.create" and actions[-1] == "proposal.solve"
        assert {"decision.pin", "decision.forbid"} <= set(actions)


def test_startup_migrates_and_bootstraps_once(db_url: str) -> None:  # noqa: F811
    """create_app runs `alembic upgrade head`, creates demo users and the example round on
    an empty database, and nothing more on the next start."""
    make_app(db_url)
    make_app(db_url)
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as db:
        assert db.scalar(select(func.count()).select_from(User)) == 3
        assert db.scalar(select(func.count()).select_from(Round)) == 1
        assert {u.role for u in db.scalars(select(User))} == {"caseworker", "lead", "analyst"}
    engine.dispose()
