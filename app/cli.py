"""The `claims` command: migrate, seed, serve and print the OpenAPI document."""

from pathlib import Path
from typing import Annotated

import orjson
import typer
import uvicorn
from alembic import command
from alembic.config import Config
from rich.console import Console

from app.db import make_engine
from app.main import create_app
from app.seeding import load_seeds
from app.server import ProblemHttpToolsProtocol
from app.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
cli = typer.Typer(help="Sanctions Claims API.", no_args_is_help=True)
console = Console(stderr=True)


def alembic_config(database_url: str) -> Config:
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.attributes["database_url"] = database_url
    return config


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest migration (safe to run from many replicas)."""
    url = get_settings().database_url
    command.upgrade(alembic_config(url), "head")
    console.print("[green]database at the latest migration[/]")


@cli.command()
def seed(
    directory: Annotated[Path, typer.Option(help="Folder of seed JSON files.")] = PROJECT_ROOT
    / "seeds",
) -> None:
    """Load the seed files (idempotent: a second run changes nothing)."""
    engine = make_engine(get_settings().database_url)
    report = load_seeds(engine, directory)
    engine.dispose()
    console.print(f"[green]seeded[/] {report.entities} entities from {len(report.files)} files")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: HOST or 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PORT or 8000.")] = None,
) -> None:
    """Serve the API with uvicorn."""
    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        access_log=settings.access_log,
        http=ProblemHttpToolsProtocol,
    )


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document the app serves."""
    document = create_app().openapi()
    typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def main() -> None:
    cli()
