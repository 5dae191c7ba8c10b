"""``optix up``: start or join Ray, deploy the Serve application, wait for Ctrl-C, stop."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import ray
from ray import serve

from actors.pipeline import PipelineActor, PipelineConfig
from optix.config import OptixSettings
from optix.store import Database, make_cache, upgrade
from optix.store.cache import RedisCache
from serve.app import build_app
from serve.deploy import deployment_options, load_serve_config

__all__ = ["auth_token_path", "run_up"]

log = logging.getLogger("optix.up")


def auth_token_path() -> Path:
    """Where Ray keeps the cluster token: ``$RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``."""
    env = os.environ.get("RAY_AUTH_TOKEN_PATH")
    return Path(env) if env else Path.home() / ".ray" / "auth_token"


def _token_auth_on() -> bool:
    mode = os.environ.get("RAY_AUTH_MODE", "").lower()
    if mode:
        return mode == "token"
    return auth_token_path().is_file() or bool(os.environ.get("RAY_AUTH_TOKEN"))


def _start_ray(settings: OptixSettings) -> tuple[str | None, bool]:
    """Start or join Ray; returns (dashboard URL, whether we started it)."""
    rc = settings.ray
    kwargs: dict[str, Any] = {
        "namespace": rc.namespace,
        "logging_level": logging.WARNING,
        "configure_logging": False,
    }
    if rc.address is None:
        # read by Serve's processes when they start: set before Ray starts them
        if settings.serve.throughput_optimized:
            os.environ.setdefault("RAY_SERVE_THROUGHPUT_OPTIMIZED", "1")
        if settings.serve.haproxy:
            os.environ.setdefault("RAY_SERVE_ENABLE_HA_PROXY", "1")
        kwargs.update(
            address="local",  # start one, even if another cluster runs on this machine
            include_dashboard=True,
            dashboard_host=rc.dashboard_host,
            dashboard_port=rc.dashboard_port,
            num_cpus=rc.num_cpus,
        )
        ctx = ray.init(**kwargs)
        started = True
    else:
        ctx = ray.init(address=rc.address, **kwargs)
        started = False
    url = ctx.dashboard_url
    if url and not url.startswith("http"):
        url = f"http://{url}"
    return url, started


def _banner(settings: OptixSettings, dashboard: str | None, db: Database, cache_desc: str,
            feed_desc: str = "", pipe_desc: str = "") -> str:
    api = f"http://{settings.serve.host}:{settings.serve.port}"
    lines = ["", "OPTIX is up."]
    if dashboard:
        lines.append(f"  Ray dashboard   {dashboard}")
        if _token_auth_on():
            lines += [
                "                  token authentication is on: open the dashboard and paste the",
                f"                  cluster token from {auth_token_path()}",
                "                  (print it with `ray get-auth-token`); for its REST API send",
                "                  the header `Authorization: Bearer <token>`.",
            ]
    lines += [
        f"  API             {api}   (health {api}/healthz; a key for the rest: "
        "optix keys create --user you --role read)",
        f"  API docs        {api}/docs",
        f"  database        {db.safe_url}",
        f"  cache           {cache_desc}",
        f"  feed            {feed_desc} at {settings.feed.speed:g}x real time",
        f"  pipeline        {pipe_desc}",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _wait_healthy(url: str, stop: threading.Event, timeout_s: float = 60.0) -> None:
    """Poll ``url`` until it answers 200, ``stop`` is set, or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f}s")
        stop.wait(0.25)


class _Interrupted(BaseException):
    """SIGINT/SIGTERM arrived while starting up."""


def _shutdown(settings: OptixSettings, started: bool) -> None:
    """Remove the Serve application (or all of Serve and Ray, if we started Ray)."""
    if not ray.is_initialized():
        return
    with contextlib.suppress(ValueError):  # ValueError: it was never started
        pipeline = ray.get_actor("optix-pipeline")
        with contextlib.suppress(Exception):
            ray.get(pipeline.stop.remote(), timeout=10)
            ray.get(pipeline.shutdown.remote(), timeout=30)
        ray.kill(pipeline)
    try:
        if started:
            serve.shutdown()
        else:
            serve.delete(settings.serve.app_name)
    except Exception:
        log.exception("Serve did not shut down cleanly; stopping Ray anyway")
    finally:
        ray.shutdown()


def run_up(
    settings: OptixSettings,
    exit_after: float | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Run OPTIX until SIGINT/SIGTERM (or ``exit_after`` seconds); returns the exit status.

    Steps: migrate the database to the newest schema, open the cache, start a local Ray with
    its dashboard (or join ``ray.address``), deploy the Serve application, print where
    everything is, wait, then delete the application and stop Ray (if we started it).
    """
    # a bad Serve config fails here, before Ray starts
    options = deployment_options(load_serve_config(settings.serve.config))
    db = Database(settings.database)
    revision = upgrade(db)
    log.info("database %s at schema revision %s", db.safe_url, revision)
    cache = make_cache(settings.cache)
    if isinstance(cache, RedisCache):
        cache_desc = "redis " + ("reachable" if cache.ping() else "UNREACHABLE (degraded)")
    else:
        cache_desc = "in-process"
    cache.close()

    stop = threading.Event()

    running = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("already shutting down (%s ignored)", name)
            return
        log.info("received %s, shutting down", name)
        stop.set()
        if not running.is_set():
            raise _Interrupted(name)  # interrupt start-up wherever it is

    # Our handler stays installed until cleanup is over: a second Ctrl-C (a terminal sends
    # SIGINT to the whole process group, Ray's processes included) must not abort it.
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = False
    status = 0
    try:
        dashboard, started = _start_ray(settings)
        serve.start(http_options={"host": settings.serve.host, "port": settings.serve.port})
        serve.run(
            build_app(settings, options),
            name=settings.serve.app_name,
            route_prefix="/",
            blocking=False,
        )
        _wait_healthy(f"http://{settings.serve.host}:{settings.serve.port}/healthz", stop)
        shards = max(int(ray.cluster_resources().get("CPU", 2)), 1)
        pipeline = PipelineActor.options(  # type: ignore[attr-defined]
            name="optix-pipeline", max_concurrency=4).remote(
                settings, PipelineConfig(shards=shards))
        pipeline.run.remote()
        feed_desc = ray.get(pipeline.status.remote(), timeout=120)["source"]
        pipe_desc = (f"{shards} shard actors (optix-shard-*), router, alert hub "
                     "(optix-alert-hub; alerts print below), supervisor (optix-supervisor)")
        running.set()
        if stop.is_set():
            # the signal came during start-up, but the code it interrupted swallowed our
            # exception (Ray's and Serve's start-up catch broadly): still an interrupt
            status = 130
        else:
            echo(_banner(settings, dashboard, db, cache_desc, feed_desc, pipe_desc))
            stop.wait(exit_after)
    except _Interrupted:
        status = 130  # interrupted while starting, as a shell reports Ctrl-C
    finally:
        _shutdown(settings, started)
        db.dispose()
        for s, handler in previous.items():
            signal.signal(s, handler)
    echo("OPTIX stopped.")
    return status
