"""`allocator serve`: build the app and run it with uvicorn (localhost by default)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from allocator.web.config import WebSettings
from allocator.web.db import normalise_url


def run(host: str, port: int, database: str | None, scenario: Path | None) -> None:
    import uvicorn

    from allocator.heap import settle
    from allocator.web.accesslog import log_config
    from allocator.web.app import create_app

    overrides: dict[str, object] = {}
    if scenario is not None:
        overrides["seed_scenario"] = scenario
    settings = WebSettings.from_env(database, **overrides)
    shown = make_url(normalise_url(settings.database_url)).render_as_string(hide_password=True)
    click.echo(f"Database: {shown} (migrerer til siste versjon)")
    app = create_app(settings)
    startup = app.state.startup
    if startup.users:
        click.echo("Demobrukere opprettet (passordene vises bare denne ene gangen):")
        for username, role, password in startup.users:
            shown_password = password or "fra ALLOCATOR_DEMO_PASSWORD"
            click.echo(f"  {username:<14} {role:<11} {shown_password}")
    if startup.round_id is not None:
        click.echo(f"Runde {startup.round_id} opprettet fra {settings.seed_scenario}")
    click.echo(f"Åpne http://{host}:{port}/ i nettleseren")
    settle()
    uvicorn.run(
        app, host=host, port=port, log_level="info", proxy_headers=False, log_config=log_config()
    )
