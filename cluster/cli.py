"""The ``optix`` command."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

import optix
from optix.config import ConfigError, OptixSettings, load_settings
from optix.log import protect, setup_logging

if TYPE_CHECKING:
    from optix.core import ChainSnapshot
    from optix.gex import GexResult

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
@click.option("--address", default=None,
              help="Join this Ray cluster (e.g. ray://head:10001 or head:6379) instead of "
                   "starting a local one (default: settings ray.address).")
@click.option("--serve-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Serve config file (serve build format) whose deployment options to apply "
                   "(default: settings serve.config, else the shipped serve/config.yaml).")
@click.pass_obj
def up(obj: _Ctx, exit_after: float | None, address: str | None,
       serve_config: Path | None) -> None:
    """Start OPTIX: Ray with dashboard, shards, router, alert hub, supervisor, Serve API.

    The feed (synthetic market by default) runs through the router into the shard actors;
    alerts print to the console; the schedule runs on the market clock. Ctrl-C stops it all.
    """
    from cluster.up import run_up  # imports Ray; keep the other commands fast

    settings = obj.settings()
    if address is not None:
        settings = settings.model_copy(
            update={"ray": settings.ray.model_copy(update={"address": address})})
    if serve_config is not None:
        settings = settings.model_copy(
            update={"serve": settings.serve.model_copy(update={"config": serve_config})})
    from serve.deploy import ServeConfigError

    try:
        code = run_up(settings, exit_after=exit_after)
    except ServeConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    raise SystemExit(code)


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
def keys() -> None:
    """API keys: create, list, revoke (only a salted digest of each key is stored)."""


_KEY_ROLES = ("read", "trade", "admin")
# the user role a new user gets from the role of its first key
_USER_ROLE_OF_KEY = {"read": "viewer", "trade": "trader", "admin": "admin"}


def _keys_db(obj: _Ctx) -> Any:
    """The configured database, migrated to the newest schema."""
    from optix.store import Database, upgrade

    database = Database(obj.settings().database)
    upgrade(database)
    return database


@keys.command("create")
@click.option("--user", "username", required=True, help="Owner (created if missing).")
@click.option("--role", type=click.Choice(_KEY_ROLES), required=True,
              help="read < trade < admin; a role includes the lower ones.")
@click.option("--name", "label", default="default", show_default=True, help="A label.")
@click.option("--expires-days", type=click.IntRange(min=1), default=None,
              help="Expire after this many days (default: never).")
@click.pass_obj
def keys_create(obj: _Ctx, username: str, role: str, label: str,
                expires_days: int | None) -> None:
    """Create a key and print it once on stdout (it cannot be shown again)."""
    import datetime as dt

    from optix.security import roles_for
    from optix.store.models import User
    from optix.store.repositories import ApiKeyRepository, UserRepository

    database = _keys_db(obj)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days)
               if expires_days is not None else None)
    with database.transaction() as session:
        users = UserRepository(session)
        user = users.by_username(username)
        if user is None:
            user = users.add(User(username=username, role=_USER_ROLE_OF_KEY[role]))
            click.echo(f"created user {username}", err=True)
        raw, record = ApiKeyRepository(session).issue(user, label, scopes=roles_for(role),
                                                      expires_at=expires)
        prefix, key_id = record.prefix, record.id
    database.dispose()
    click.echo(raw)
    click.echo(f"key {prefix} (id {key_id}) for {username}, role {role}: store it now, it "
               "cannot be shown again", err=True)


def _when(ts: Any) -> str:
    return "-" if ts is None else f"{ts:%Y-%m-%d %H:%M}"


@keys.command("list")
@click.option("--user", "username", default=None, help="Only this user's keys.")
@click.pass_obj
def keys_list(obj: _Ctx, username: str | None) -> None:
    """List keys: prefix, name, user, roles, created, last used, expires, revoked, id."""
    from optix.store.repositories import ApiKeyRepository, UserRepository

    database = _keys_db(obj)
    rows = []
    with database.transaction() as session:
        user = None
        if username is not None:
            user = UserRepository(session).by_username(username)
            if user is None:
                click.echo(f"error: no user {username!r}", err=True)
                raise SystemExit(1)
        for k in ApiKeyRepository(session).for_user(user):
            rows.append((k.prefix, k.name, k.user.username, ",".join(k.scopes) or "-",
                         _when(k.created_at), _when(k.last_used_at), _when(k.expires_at),
                         _when(k.revoked_at), str(k.id)))
    database.dispose()
    head = ("PREFIX", "NAME", "USER", "ROLES", "CREATED", "LAST USED", "EXPIRES", "REVOKED",
            "ID")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


@keys.command("revoke")
@click.argument("prefix_or_id")
@click.pass_obj
def keys_revoke(obj: _Ctx, prefix_or_id: str) -> None:
    """Revoke the key with this public PREFIX (e.g. optx_AbCdEf) or id."""
    import datetime as dt

    from optix.store.repositories import ApiKeyRepository

    database = _keys_db(obj)
    with database.transaction() as session:
        repo = ApiKeyRepository(session)
        found = repo.find(prefix_or_id)
        if len(found) != 1:
            why = "no key" if not found else f"{len(found)} keys (give the id)"
            click.echo(f"error: {why} matching {prefix_or_id!r}", err=True)
            raise SystemExit(1)
        key = found[0]
        if key.revoked_at is not None:
            click.echo(f"key {key.prefix} was already revoked at {_when(key.revoked_at)}")
        else:
            repo.revoke(key.id, dt.datetime.now(dt.UTC))
            click.echo(f"revoked key {key.prefix} ({key.name}) of {key.user.username}")
    database.dispose()


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
@click.option("--cluster", "on_cluster", is_flag=True,
              help="Run the tape through the router and shard actors on Ray instead of one "
                   "process (same events, same order).")
@click.option("--address", default=None,
              help="With --cluster: join this Ray cluster (default: start a local Ray).")
@click.option("--shards", default=2, show_default=True, type=click.IntRange(min=1),
              help="With --cluster: shard actors to spread the symbols over.")
@click.pass_obj
def flow_scan(obj: _Ctx, files: tuple[Path, ...], as_json: bool, on_cluster: bool,
              address: str | None, shards: int) -> None:
    """Run recorded trade FILES through the flow engine and print one event per line.

    FILES are the replay formats (OPTIX trade CSV/Parquet, Databento TBBO). Each line: type,
    underlying, contract, first and last print time, the prints' sequence numbers, venues,
    contracts, premium, side, sentiment, confidence, score, severity and alert id. Counts of
    rows read, rejected (with reasons) and events found go to stderr at the end.

    With --cluster the tape goes through the actor layer (router, shard actors; a run of its
    own, removed at the end) and the output is exactly what the single-process run prints.
    """
    from collections import Counter

    from optix.data import DataError
    from optix.data.replay import ReplaySource

    obj.settings()
    if address is not None and not on_cluster:
        raise click.UsageError("--address needs --cluster")
    counts: Counter[str] = Counter()

    def show(alerts: list[Any]) -> None:
        counts.update(a.event.type.value for a in alerts)
        _print_events(alerts, as_json)

    try:
        source = ReplaySource(list(files))
        if on_cluster:
            _scan_on_cluster(source, address, shards, show)
        else:
            from optix.flow.engine import FlowConfig, FlowEngine

            engine = FlowEngine(FlowConfig(validate=False))  # the replay source validates
            for batch in source.batches():
                show(engine.score(engine.update(batch.trades, batch.end_ns,
                                                equities=batch.equities,
                                                reference=batch.reference)))
            show(engine.score(engine.flush()))
    except DataError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(source.stats.summary(), err=True)
    text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    click.echo(f"events: {text}", err=True)


def _scan_on_cluster(source: Any, address: str | None, shards: int,
                     show: Callable[[list[Any]], None]) -> None:
    """Route ``source`` through a run-private set of shard actors, printing in feed order."""
    import logging
    import uuid

    import ray

    from actors.pipeline import Pipeline, PipelineConfig

    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "configure_logging": False,
                                  "namespace": "optix"}
        if address is None:
            ray.init(address="local", num_cpus=2, include_dashboard=False, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    config = PipelineConfig(prefix=f"optix-scan-{uuid.uuid4().hex[:8]}", shards=shards,
                            hub=False, supervisor=False)
    pipe = Pipeline(config)
    pipe.keep_results = True
    try:
        for batch in source.batches():
            pipe.submit(batch)
            while pipe.results:
                show(pipe.results.popleft().flow)
        pipe.flush()  # its alerts arrive as the last result
        while pipe.results:
            show(pipe.results.popleft().flow)
    finally:
        pipe.shutdown()
        if started:
            ray.shutdown()


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


_GEX_SCALES = ((1e9, "bn"), (1e6, "mn"), (1e3, "k"))


def _amount(value: float | None, signed: bool = True) -> str:
    """``-3.918 bn``, ``+512.300 mn``, ``+12.000``; ``n/a`` for None or NaN."""
    if value is None or value != value:
        return "n/a"
    sign = "+" if signed else ""
    for div, name in _GEX_SCALES:
        if abs(value) >= div:
            return f"{value / div:{sign},.3f} {name}"
    return f"{value:{sign},.3f}"


def _price(value: float | None) -> str:
    return "none" if value is None or value != value else f"{value:,.2f}"


def _load_chain(path: Path) -> ChainSnapshot:
    """The chain snapshot in ``path``, or exit 2 with one line on stderr."""
    from optix.data import DataError, SourceStats
    from optix.data.replay import is_cboe_quotedata, read_cboe_quotedata

    def fail(message: str) -> NoReturn:
        click.echo(f"error: {message}", err=True)
        raise SystemExit(2)

    if path.is_dir():
        fail(f"{path}: is a folder, not a chain file")
    if not path.is_file():
        fail(f"{path}: no such file")
    if not is_cboe_quotedata(path):
        fail(f"{path}: not an option chain file (chains are read from CBOE quotedata "
             "downloads, whose line 4 is the 'Expiration Date,Calls,...' header)")
    stats = SourceStats()
    try:
        snap = read_cboe_quotedata(path, stats)
    except (DataError, OSError) as exc:
        fail(str(exc))
    if stats.total_rejected():
        click.echo(stats.summary(), err=True)
    return snap


# The values of the optix.gex.config enums, spelled out so that the CLI does not import the GEX
# engine (numpy, pandas, the flow engine) before a command runs; a test keeps them in step.
GEX_CHOICES: dict[str, tuple[str, ...]] = {
    "unit": ("usd_per_1pct", "usd_per_point", "shares"),
    "sign": ("dealer_long_calls_short_puts", "dealer_short_calls_long_puts", "flow_inventory"),
    "zero_dte": ("floor", "exclude"),
    "settled": ("exclude", "floor"),
    "flip_rule": ("first", "nearest"),
    "sticky": ("strike", "moneyness"),
    "gamma_source": ("vendor", "model", "auto"),
}

_REGIME_TEXT = {"positive": "dealers long gamma: hedging damps moves",
                "negative": "dealers short gamma: hedging amplifies moves",
                "neutral": "net exposure small against gross"}


@cli.command("gex")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="OUT.png", help="Also write a PNG chart (by strike, and the profile).")
@click.option("--unit", type=click.Choice(GEX_CHOICES["unit"]),
              default="usd_per_1pct", show_default=True, help="GEX unit.")
@click.option("--sign", type=click.Choice(GEX_CHOICES["sign"]),
              default="dealer_long_calls_short_puts", show_default=True,
              help="Whose gamma, with which sign (flow_inventory needs the flow engine's "
                   "dealer inventory, which a chain file does not carry).")
@click.option("--expiry-window", default="all", show_default=True, metavar="WINDOW",
              help="all, ex_nearest, ex_monthly, or days like '<=7'.")
@click.option("--zero-dte", type=click.Choice(GEX_CHOICES["zero_dte"]),
              default="floor", show_default=True, help="Contracts expiring today.")
@click.option("--settled", type=click.Choice(GEX_CHOICES["settled"]),
              default="exclude", show_default=True, help="Contracts already settled.")
@click.option("--flip-rule", type=click.Choice(GEX_CHOICES["flip_rule"]),
              default="first", show_default=True,
              help="Which zero crossing is the flip: the lowest, or the nearest to spot.")
@click.option("--sticky", type=click.Choice(GEX_CHOICES["sticky"]),
              default="strike", show_default=True, help="Vol dynamics in the profile.")
@click.option("--gamma-source", type=click.Choice(GEX_CHOICES["gamma_source"]),
              default="auto", show_default=True, help="Gamma at spot: chain's, BSM, or both.")
@click.option("--r", "r", type=float, default=0.0, show_default=True,
              help="Rate for model Greeks.")
@click.option("--q", "q", type=float, default=0.0, show_default=True,
              help="Dividend yield for model Greeks.")
@click.option("--levels", type=int, default=60, show_default=True,
              help="Hypothetical spots in the profile.")
@click.pass_obj
def gex(obj: _Ctx, file: Path, as_json: bool, chart: Path | None, unit: str, sign: str,
        expiry_window: str, zero_dte: str, settled: str, flip_rule: str, sticky: str,
        gamma_source: str, r: float, q: float, levels: int) -> None:
    """Dealer gamma exposure of one option chain FILE (a CBOE quotedata download).

    Prints spot, total, call and put GEX, the profile at spot, the flip (every zero crossing,
    and the rule that picked it), max pain of the nearest expiry, the call and put walls, the
    regime and the rows skipped. A file that is not a chain, or a chain with no usable gamma,
    exits 2 with the reason.
    """
    from optix.gex import (
        ExpiryWindow,
        FlipRule,
        GammaSource,
        GexConfig,
        GexInputError,
        GexUnit,
        SettledPolicy,
        SignConvention,
        Sticky,
        ZeroDtePolicy,
        compute_gex,
    )

    obj.settings()
    try:
        window = ExpiryWindow.parse(expiry_window)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expiry-window") from None
    try:
        cfg = GexConfig(unit=GexUnit(unit), sign=SignConvention(sign), expiry_window=window,
                        zero_dte=ZeroDtePolicy(zero_dte), settled=SettledPolicy(settled),
                        flip_rule=FlipRule(flip_rule), sticky=Sticky(sticky),
                        gamma_source=GammaSource(gamma_source), r=r, q=q, levels=levels)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    snap = _load_chain(file)
    try:
        result = compute_gex(snap, cfg)
    except GexInputError as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        raise SystemExit(2) from None
    if chart is not None:
        from optix.gex.chart import render_chart

        try:
            render_chart(result, chart)
        except OSError as exc:
            click.echo(f"error: cannot write the chart: {exc}", err=True)
            raise SystemExit(1) from None
    s = result.summary()
    if as_json:
        click.echo(json.dumps(s, default=str))
        if chart is not None:
            click.echo(f"chart written to {chart}", err=True)
        return
    _print_gex(s, result, chart)


def _print_gex(s: dict[str, Any], result: GexResult, chart: Path | None) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from optix.gex.chart import unit_label

    when = dt.datetime.fromtimestamp(s["as_of_ns"] / 1e9, dt.UTC).astimezone(
        ZoneInfo("America/New_York"))
    prof = result.profile
    flip = s["flip"]
    rows = [
        ("spot", f"{s['spot']:,.2f}"),
        ("total GEX", _amount(s["total_gex"])),
        ("call GEX", _amount(s["call_gex"])),
        ("put GEX", _amount(s["put_gex"])),
        ("profile at spot", f"{_amount(s['profile_at_spot'])} (grid read; model gamma at spot "
                            f"{_amount(s['profile_at_spot_exact'])})"),
    ]
    crossings = ", ".join(f"{c:,.2f}" for c in s["crossings"]) or "none"
    if flip is None:
        lo, hi = float(prof.levels[0]), float(prof.levels[-1])
        rows.append(("flip", f"none: no zero crossing on {lo:,.2f}..{hi:,.2f} "
                             f"(rule {s['flip_rule']})"))
    else:
        rows.append(("flip", f"{flip:,.2f} ({s['flip_distance_pct']:+.2f}% from spot; rule "
                             f"{s['flip_rule']}; crossings {crossings})"))
    mp = result.levels.max_pain
    nearest = min(mp) if mp else None
    rows += [
        ("max pain", f"{_price(s['max_pain_nearest'])}"
                     + (f" (nearest expiry {nearest})" if nearest else "")),
        ("call wall", _price(s["call_wall"])),
        ("put wall", _price(s["put_wall"])),
        ("key gamma strike", _price(s["key_gamma_strike"])),
        ("regime", f"{s['regime']} ({_REGIME_TEXT.get(s['regime'], '')})"),
        ("hedge flow +1%", f"{_amount(s['hedge_flow_shares_up_1pct'])} shares, "
                           f"{_amount(s['hedge_flow_usd_up_1pct'])} $ (+ buy, - sell)"),
        ("contracts", f"{s['contracts']:,} counted; skipped: "
                      + (", ".join(f"{k} {v:,}" for k, v in sorted(s["skipped"].items()))
                         or "none")),
    ]
    click.echo(f"{s['underlying']} GEX at {when:%Y-%m-%d %H:%M %Z} "
               f"({unit_label(result.config.unit)}, {s['sign_convention']})")
    for name, text in rows:
        click.echo(f"  {name:<17}{text}")
    if chart is not None:
        click.echo(f"  {'chart':<17}{chart}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="optix")


if __name__ == "__main__":  # pragma: no cover
    main()
