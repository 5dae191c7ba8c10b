"""The ``optix`` command."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

import optix
from optix.config import ConfigError, OptixSettings, load_settings
from optix.log import protect, setup_logging

__all__ = ["main"]

log = logging.getLogger("optix.cli")


class _Ctx:
    def __init__(self, config: Path | None, log_json: bool | None, log_level: str | None) -> None:
        self.config = config
        self.log_json = log_json
        self.log_level = log_level

    def settings(self) -> OptixSettings:
        overrides = {}
        if self.log_json is not None or self.log_level is not None:
            section: dict[str, object] = {}
            if self.log_json is not None:
                section["json"] = self.log_json
            if self.log_level is not None:
                section["level"] = self.log_level
            overrides["logging"] = section
        try:
            settings = load_settings(self.config, **overrides)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None
        setup_logging(settings.logging.level, settings.logging.json_lines)
        protect(settings.secrets(), settings.secret_urls())
        return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(optix.__version__, prog_name="optix")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML settings file (default $OPTIX_CONFIG or ./optix.toml).")
@click.option("--log-json/--log-text", default=None, help="JSON lines or human-readable logs.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              default=None, help="Log level (default from settings: INFO).")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, log_json: bool | None,
        log_level: str | None) -> None:
    """OPTIX: Ray-native options intelligence (flow, GEX, pricing, prediction, trading)."""
    ctx.obj = _Ctx(config, log_json, log_level)


@cli.command()
@click.option("--exit-after", type=float, default=None, metavar="SECONDS",
              help="Stop by itself after this many seconds (default: run until Ctrl-C).")
@click.pass_obj
def up(obj: _Ctx, exit_after: float | None) -> None:
    """Start OPTIX: local Ray with dashboard, Serve API, database and cache, until Ctrl-C."""
    from cluster.up import run_up  # imports Ray; keep the other commands fast

    raise SystemExit(run_up(obj.settings(), exit_after=exit_after))


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_obj
def db_upgrade(obj: _Ctx, revision: str) -> None:
    """Migrate the configured database forward (creates the schema on an empty one)."""
    from optix.store import Database, upgrade

    database = Database(obj.settings().database)
    rev = upgrade(database, revision)
    log.info("migrated %s to revision %s", database.safe_url, rev)
    click.echo(f"{database.safe_url}: at revision {rev}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(obj: _Ctx, revision: str) -> None:
    """Migrate the configured database back to REVISION ('base' drops every table)."""
    from optix.store import Database, downgrade

    database = Database(obj.settings().database)
    rev = downgrade(database, revision)
    click.echo(f"{database.safe_url}: at revision {rev or 'base'}")


@db.command("current")
@click.pass_obj
def db_current(obj: _Ctx) -> None:
    """Print the revision of the configured database and the newest one shipped."""
    from optix.store import Database, current_revision, head_revision

    database = Database(obj.settings().database)
    click.echo(f"{database.safe_url}: at {current_revision(database) or 'base'}, "
               f"head {head_revision()}")


@db.command("history")
def db_history() -> None:
    """List the shipped migrations, oldest first."""
    from optix.store.migrate import history

    for rev, doc in history():
        click.echo(f"{rev}  {doc}")


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.pass_obj
def config_show(obj: _Ctx) -> None:
    """Print the effective settings as JSON, secrets masked."""
    click.echo(json.dumps(obj.settings().redacted(), indent=2, default=str))


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=False, path_type=Path))
@click.option("--speed", type=float, default=0.0, show_default=True,
              help="Pace at this multiple of real time; 0 replays as fast as possible.")
@click.option("--json", "as_json", is_flag=True, help="Print the final counts as JSON.")
@click.pass_obj
def replay(obj: _Ctx, files: tuple[Path, ...], speed: float, as_json: bool) -> None:
    """Stream recorded FILES through the feed path and count what was read.

    FILES are option-trade CSV/Parquet (OPTIX schema or Databento TBBO) and CBOE quotedata
    chain files; prints rows read, accepted and rejected per reason.
    """
    import time

    from optix.data import DataError, pace
    from optix.data.replay import ReplaySource

    obj.settings()  # logging and secret redaction, as for every command
    if speed < 0:
        raise click.BadParameter("must be >= 0", param_hint="--speed")
    try:
        source = ReplaySource(list(files))
        started = time.monotonic()
        n_batches = n_trades = n_chains = 0
        for batch in pace(source.batches(), speed):
            n_batches += 1
            n_trades += batch.n_trades
            n_chains += len(batch.chains)
        elapsed = time.monotonic() - started
    except DataError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps({"source": source.name, "batches": n_batches, "trades": n_trades,
                               "chains": n_chains, "seconds": round(elapsed, 3),
                               "rows": source.stats.as_dict(),
                               "notes": dict(source.stats.notes),
                               "examples": [f"{e.where}: {e.reason.name} ({e.detail})"
                                            for e in source.stats.examples]}, indent=2))
        return
    click.echo(f"{source.name}: {n_batches:,} batches, {n_trades:,} trades, "
               f"{n_chains:,} chain snapshots in {elapsed:.2f}s")
    click.echo(source.stats.summary())
    for e in source.stats.examples:
        click.echo(f"  rejected {e.where}: {e.reason.name} ({e.detail})")


@cli.group()
def flow() -> None:
    """Flow intelligence: sweeps, splits, blocks, repeated hits, unusual volume, dark pool."""


def _event_line(alert: Any) -> dict[str, Any]:
    import datetime as dt

    from optix.core.enums import EquityVenue, OptionVenue, Right
    from optix.core.occ import format_occ

    ev = alert.event

    def iso(ns: int) -> str:
        return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat(timespec="microseconds")

    if ev.stream == "option":
        single = ev.expiry is not None and ev.strike == ev.strike and ev.right != 0
        contract = (format_occ(ev.underlying, ev.expiry, Right(ev.right), ev.strike)
                    if single and ev.expiry is not None else
                    f"{ev.underlying} {ev.detail.get('structure') or ev.detail.get('pattern')}")
        venues = [OptionVenue(v).name for v in ev.venues]
    else:
        contract = ev.underlying
        venues = [EquityVenue(v).name if v in EquityVenue._value2member_map_ else str(v)
                  for v in ev.venues]
    return {"type": ev.type.value, "underlying": ev.underlying, "contract": contract,
            "first": iso(ev.first_ts_ns), "last": iso(ev.last_ts_ns), "seqs": list(ev.seqs),
            "venues": venues, "contracts": ev.size, "premium": round(ev.premium, 2),
            "side": {1: "buy", -1: "sell"}.get(ev.side, "mixed"),
            "sentiment": {1: "bullish", -1: "bearish"}.get(ev.sentiment, "neutral"),
            "confidence": round(ev.confidence, 3), "score": round(alert.score, 1),
            "severity": alert.severity.name, "id": alert.alert_id}


@flow.command("scan")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.pass_obj
def flow_scan(obj: _Ctx, files: tuple[Path, ...], as_json: bool) -> None:
    """Run recorded trade FILES through the flow engine and print one event per line.

    FILES are the replay formats (OPTIX trade CSV/Parquet, Databento TBBO). Each line: type,
    underlying, contract, first and last print time, the prints' sequence numbers, venues,
    contracts, premium, side, sentiment, confidence, score, severity and alert id. Counts of
    rows read, rejected (with reasons) and events found go to stderr at the end.
    """
    from optix.data import DataError
    from optix.data.replay import ReplaySource
    from optix.flow.engine import FlowConfig, FlowEngine

    obj.settings()
    engine = FlowEngine(FlowConfig(validate=False))  # the replay source validates and counts
    try:
        source = ReplaySource(list(files))
        for batch in source.batches():
            events = engine.update(batch.trades, batch.end_ns, equities=batch.equities,
                                   reference=batch.reference)
            _print_events(engine.score(events), as_json)
        _print_events(engine.score(engine.flush()), as_json)
    except DataError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(source.stats.summary(), err=True)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(engine.stats.events.items())) or "none"
    click.echo(f"events: {counts}", err=True)


def _print_events(alerts: list[Any], as_json: bool) -> None:
    for alert in alerts:
        row = _event_line(alert)
        if as_json:
            click.echo(json.dumps(row))
            continue
        seqs = row["seqs"]
        seq_text = ",".join(map(str, seqs)) if len(seqs) <= 8 else (
            f"{seqs[0]}..{seqs[-1]} ({len(seqs)})")
        click.echo(f"{row['type']:<14} {row['underlying']:<6} {row['contract']:<21} "
                   f"{row['first']} {row['last']} seqs={seq_text} "
                   f"venues={'/'.join(row['venues'])} contracts={row['contracts']} "
                   f"premium=${row['premium']:,.0f} {row['side']} {row['sentiment']} "
                   f"conf={row['confidence']:.2f} score={row['score']:.1f} "
                   f"{row['severity']} {row['id']}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="optix")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
