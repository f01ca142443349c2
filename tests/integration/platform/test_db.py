import datetime as dt
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from quantlib.core.dates import utc_now
from quantlib.platform.db import (
    SchemaState,
    downgrade,
    head_revision,
    open_engine,
    require_current_schema,
    schema_status,
    upgrade,
)
from quantlib.platform.errors import (
    DatabaseUnavailableError,
    SchemaAheadError,
    SchemaBehindError,
)
from quantlib.platform.models import (
    Approval,
    BacktestRun,
    Base,
    Group,
    Job,
    Order,
    PipelineInstance,
    PipelineStageEvent,
    RiskLimit,
    Strategy,
    StrategyVersion,
    Trade,
    User,
    version_content_hash,
)
from tests.integration.platform.postgres import _free_port


def test_empty_database_is_refused_until_upgraded_then_upgrade_is_idempotent(db_url):
    engine = open_engine(db_url)
    with pytest.raises(SchemaBehindError, match="quantlib db upgrade"):
        require_current_schema(engine)
    assert schema_status(engine).state is SchemaState.EMPTY

    first = upgrade(engine)
    second = upgrade(engine)

    assert first.state is second.state is SchemaState.CURRENT
    assert require_current_schema(engine).current == head_revision()
    engine.dispose()


def test_database_migrated_by_newer_code_is_refused_and_left_untouched(engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))

    with pytest.raises(SchemaAheadError, match="newer quantlib"):
        require_current_schema(engine)
    with pytest.raises(SchemaAheadError):
        upgrade(engine)

    assert schema_status(engine).current == "f00dcafe"


def test_migrations_create_exactly_what_the_models_describe(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(engine):
    assert downgrade(engine, "base").state is SchemaState.EMPTY
    with engine.connect() as connection:
        assert not Base.metadata.tables.keys() & set(engine.dialect.get_table_names(connection))

    assert upgrade(engine).state is SchemaState.CURRENT


def test_every_model_round_trips_with_money_exact(sessions):
    with sessions.begin() as session:
        author = User(name="li", groups=[Group(name="researcher")])
        reviewer = User(name="wang", groups=[Group(name="risk_officer")])
        strategy = Strategy(name="momentum", owner=author)
        code, config = "def initialize(context):\n    pass\n", {"window": 20}
        version = StrategyVersion(
            strategy=strategy,
            number=1,
            code=code,
            config=config,
            content_hash=version_content_hash(code, config),
            author=author,
            git_commit="a" * 40,
        )
        job = Job(kind="backtest", submitted_by=author, payload={"version": 1})
        session.add_all([reviewer, version, job])
        session.flush()
        run = BacktestRun(
            strategy_version=version,
            requested_by=author,
            job_id=job.id,
            parameters={"window": 20},
            start_date=dt.date(2025, 1, 2),
            end_date=dt.date(2025, 6, 30),
            store_snapshot="gen-000042",
            metrics={"sharpe": 1.25},
            artifacts={"report": "runs/1/report.html"},
        )
        limit = RiskLimit(
            strategy_id=strategy.id,
            name="max_order_value",
            value=Decimal("500000.000001"),
            unit="yuan",
            updated_by_id=reviewer.id,
        )
        instance = PipelineInstance(
            strategy_version=version, pipeline="default", stage="risk_review", started_by_id=1
        )
        instance.events.append(PipelineStageEvent(stage="validation", event="passed"))
        instance.approvals.append(
            Approval(
                stage="risk_review",
                kind="risk_review",
                decision="approved",
                approver=reviewer,
                comment="drawdown within limits 回撤在限额内",
            )
        )
        order = Order(
            client_order_id="c-1",
            strategy_version_id=version.id,
            mode="paper",
            account="acct-1",
            symbol="600000.SH",
            side="buy",
            order_type="limit",
            quantity=1000,
            limit_price=Decimal("10.0100"),
        )
        order.trades.append(
            Trade(
                broker_trade_id="t-1",
                symbol="600000.SH",
                side="buy",
                quantity=300,
                price=Decimal("10.0100"),
                amount=Decimal("3003.0000"),
                commission=Decimal("5.0000"),
                transfer_fee=Decimal("0.0300"),
                traded_at=utc_now(),
            )
        )
        session.add_all([run, limit, instance, order])

    with sessions() as session:
        stored_order = session.scalars(select(Order)).one()
        trade = stored_order.trades[0]
        assert stored_order.limit_price == Decimal("10.01")
        assert trade.amount == trade.price * trade.quantity
        assert trade.transfer_fee == Decimal("0.03")
        assert session.scalars(select(RiskLimit)).one().value == Decimal("500000.000001")
        stored_version = session.scalars(select(StrategyVersion)).one()
        assert stored_version.code == code and stored_version.config == config
        assert stored_version.author.group_names == ["researcher"]
        stored_run = session.scalars(select(BacktestRun)).one()
        assert stored_run.metrics == {"sharpe": 1.25} and stored_run.store_snapshot == "gen-000042"
        stored_instance = session.scalars(select(PipelineInstance)).one()
        assert stored_instance.approvals[0].comment.endswith("回撤在限额内")
        assert stored_instance.events[0].event == "passed"


@pytest.mark.parametrize(
    "bad_order",
    [
        {"order_type": "market", "limit_price": Decimal("10.01")},
        {"order_type": "limit", "limit_price": None},
        {"quantity": 0},
        {"side": "short"},
        {"mode": "live"},
    ],
    ids=["market-with-price", "limit-without-price", "zero-quantity", "bad-side", "bad-mode"],
)
def test_impossible_orders_are_refused_and_nothing_is_stored(sessions, bad_order):
    fields = {
        "client_order_id": "c-1",
        "mode": "paper",
        "account": "acct-1",
        "symbol": "600000.SH",
        "side": "buy",
        "order_type": "limit",
        "quantity": 100,
        "limit_price": Decimal("10.01"),
    }
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Order(**{**fields, **bad_order}))

    with sessions() as session:
        assert session.scalars(select(Order)).all() == []


def test_unreachable_postgresql_is_named_without_its_password():
    engine = open_engine(f"postgresql://trader:s3cret@127.0.0.1:{_free_port()}/platform")

    with pytest.raises(DatabaseUnavailableError) as caught:
        require_current_schema(engine)

    message = str(caught.value)
    assert "cannot connect" in message and "127.0.0.1" in message
    assert "s3cret" not in message


def test_sqlite_default_lives_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("TAORUI_DB_URL", raising=False)
    monkeypatch.setenv("TAORUI_DATA_DIR", str(tmp_path / "data"))

    engine = open_engine()
    upgrade(engine)

    assert (tmp_path / "data" / "platform.db").is_file()
    engine.dispose()


def test_sessions_keep_objects_readable_after_commit(sessions):
    with sessions.begin() as session:
        user = User(name="zhao")
        session.add(user)
    assert user.name == "zhao" and user.id is not None
