"""The `claims` command: migrate, seed, serve, keys and the OpenAPI document."""

import time
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import uvicorn
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlmodel import Session

from app.data_report import report
from app.db import make_engine, write_session
from app.ids import new_id
from app.imports import ofac_csv, un_xml
from app.imports.apply import apply_records
from app.keys.schemas import KeyCreate
from app.keys.service import create_key, list_keys, revoke_key
from app.main import create_app
from app.models import Role
from app.pagination import MAX_LIMIT
from app.revisions.service import Author
from app.seeding import load_seeds
from app.server import ProblemHttpToolsProtocol
from app.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_KEYS = PROJECT_ROOT / ".dev-keys.env"
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
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes on the one port (uvicorn workers); they share rate limit "
            "counts and change notices through the database.",
        ),
    ] = 1,
) -> None:
    """Serve the API with uvicorn, in one process or `--workers` of them."""
    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
        access_log=settings.access_log,
        http=ProblemHttpToolsProtocol,
    )


keys_cli = typer.Typer(help="API keys: issue, list, revoke.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
CLI_AUTHOR = Author("cli")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who holds the key; unique.")],
    role: Annotated[Role, typer.Option(help="What the key may do.")],
) -> None:
    """Issue a key and print its secret (shown this once; only its hash is stored)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with write_session(engine) as session:
        key, secret = create_key(
            session, KeyCreate(name=name, role=role), settings.api_key_pepper, CLI_AUTHOR
        )
    engine.dispose()
    console.print(f"[green]issued[/] {key.name} ({key.role}) id {key.id}")
    typer.echo(secret)


@keys_cli.command("list")
def keys_list() -> None:
    """List every key, revoked ones included (never their secrets)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    table = Table("id", "name", "role", "prefix", "created", "last used", "revoked")
    with engine.connect() as connection:
        cursor = None
        while True:
            keys, cursor = list_keys(connection, settings.cursor_secret, MAX_LIMIT, cursor)
            for key in keys:
                table.add_row(
                    key.id, key.name, key.role, key.prefix, _when(key.created_at),
                    _when(key.last_used_at), _when(key.revoked_at),
                )  # fmt: skip
            if cursor is None:
                break
    engine.dispose()
    Console().print(table)


@keys_cli.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key: every process refuses it within seconds; it stays listed."""
    engine = make_engine(get_settings().database_url)
    with write_session(engine) as session:
        key = revoke_key(session, key_id, CLI_AUTHOR)
    engine.dispose()
    console.print(f"[green]revoked[/] {key.name} ({key.id}) at {_when(key.revoked_at)}")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


@cli.command("dev-keys")
def dev_keys(
    path: Annotated[Path, typer.Option(help="Where the keys are kept.")] = DEV_KEYS,
) -> None:
    """On first start of a development server: issue an admin, an analyst and a reviewer
    key, print them once and keep them in `path` (git-ignored) for `source`-ing."""
    settings = get_settings()
    if settings.env == "production":
        raise typer.BadParameter("development keys are not made in production")
    if path.exists():
        console.print(f"development keys are in {path} (`source {path.name}`)")
        return
    engine = make_engine(settings.database_url)
    lines = []
    with write_session(engine) as session:
        for role in (Role.admin, Role.analyst, Role.reviewer):
            name = f"dev-{role.value}-{new_id()[-6:]}"
            _, secret = create_key(
                session, KeyCreate(name=name, role=role), settings.api_key_pepper, CLI_AUTHOR
            )
            lines.append(f"export CLAIMS_{role.value.upper()}_KEY={secret}")
    engine.dispose()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    console.print(f"[green]development keys[/] (kept in {path}; `source {path.name}`):")
    for line in lines:
        console.print(f"  {line}")


@cli.command("check-data")
def check_data() -> None:
    """List stored records that today's input rules would refuse (duplicates, NUL
    characters, dates in other digits): an upgraded database keeps them for a person to
    mend. Prints nothing but a count when there are none."""
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        findings = report(session)
    engine.dispose()
    if findings:
        table = Table("rule", "table", "records", "detail")
        for finding in findings:
            table.add_row(finding.rule, finding.table, ", ".join(finding.ids), finding.detail)
        Console().print(table)
    console.print(f"{len(findings)} stored value(s) a write would refuse today")


class ImportFormat(StrEnum):
    ndjson = "ndjson"
    un_xml = "un-xml"
    ofac_csv = "ofac-csv"


def _import_records(
    format: ImportFormat, file: Path, alt: Path | None, as_of: str | None
) -> list[bytes] | list[dict[str, Any]]:
    """The file's lines as import records: NDJSON as it is, a list translated locally."""
    if format == ImportFormat.ndjson:
        return file.read_bytes().splitlines()
    if format == ImportFormat.un_xml:
        return un_xml.translate(file, as_of)
    if as_of is None:
        raise typer.BadParameter("the OFAC files carry no date: give the list's --as-of day")
    return ofac_csv.translate(file, alt, as_of)


@cli.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="The file to import.", exists=True)],
    format: Annotated[ImportFormat, typer.Option(help="What the file is.")] = ImportFormat.ndjson,
    alt: Annotated[
        Path | None,
        typer.Option(help="OFAC's ALT file (aliases) beside the SDN file.", exists=True),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="The list's date (YYYY-MM-DD): the `end` of designations it dropped. "
            "Default for the UN list: its dateGenerated."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Print what would change; write nothing.")] = False,
) -> None:
    """Import NDJSON records, or the UN or OFAC list translated into them, into the local
    database: batches of records, each one transaction, through the services' checks."""
    records = _import_records(format, file, alt, as_of)
    engine = make_engine(get_settings().database_url)
    columns = (
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TextColumn("{task.fields[rate]} records/s"), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("importing", total=len(records), rate="–")
        started = time.perf_counter()
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, advance=count, rate=f"{rate:,.0f}")

        outcome = apply_records(engine, records, dry_run=dry_run, progress=advance)
    engine.dispose()
    if dry_run:
        for change in outcome.changes:
            typer.echo(change)
    for error in outcome.errors:
        # Plain lines, never wrapped: what a script greps for.
        typer.echo(f"line {error.line} {error.pointer or '/'}: {error.message}", err=True)
    verb = "would write" if dry_run else "wrote"
    console.print(
        f"read {outcome.read}, {verb} {outcome.written}, unchanged {outcome.unchanged}, "
        f"failed {outcome.failed}"
    )
    if outcome.failed:
        raise typer.Exit(1)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document the app serves."""
    document = create_app().openapi()
    typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def main() -> None:
    try:
        cli()
    except ValidationError as error:  # settings: say what is wrong, not a traceback
        console.print(f"[red]configuration refused[/]: {error}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
