"""The pricing API over HTTP on Ray Serve: single-contract throughput and a 100,000-row batch.

Every Serve configuration runs in its own server subprocess (``ray.init(address="local")`` +
``serve.run`` of the real app of :func:`serve.app.build_app`, with a key issued in a fresh SQLite
database), because Serve reads its environment variables when Ray and Serve start. Against each
one, from this process, over loopback:

1. **Single contracts**: ``POST /v1/pricing/price`` (one contract, ``Authorization: Bearer``),
   16 clients on keep-alive HTTP/1.1 connections, each sending its next request when the last
   answer is read, for ``--duration`` seconds after a warm-up. Reported: requests/s, p50 and p99
   latency, non-200 answers, and the load generator's own CPU time over the run (raw asyncio
   streams, fixed pre-encoded request bytes, status line + ``Content-Length`` parsing; uvloop
   when installed), so it can be seen that the client is not the bottleneck. Target: 1,000
   requests/s. Reference: the same contract priced in this process by :mod:`optix.quant`
   (``serve.pricing.price_rows``, which the server calls), per call.
2. **100,000-option batch**: ``POST /v1/pricing/price/batch`` with list columns (5 Greeks),
   ``--batches`` times: the server time from the ``Server-Timing`` header (measured by the
   route, from the request reaching it to the response body produced; authentication, JSON
   parse, validation, the call to the pricing deployment and serialization included) and the
   client round trip (request written to body read). Target: server time <= 100 ms.
   Reference: :func:`optix.quant.bsm_greeks` on the same numpy columns in this process.

The ``shipped`` configuration is what ``optix up`` runs: :func:`serve.app.build_app` with the
deployment options of ``serve/config.yaml``, throughput mode and HAProxy, with only the per-key
rate limit raised (``serve.rate_per_s``, 50 requests/s by default, which would answer 429 to a
load test). The others vary one thing at a time from Serve's defaults on the app's ``Ingress``
(rate limit raised too): the closed forms are priced in the pricing deployment, except in the
``*-local*`` configurations, where the ingress prices them (``HandleBackend(handle,
local_closed_form=True)``, what the app does). Where Serve runs with direct ingress and no HAProxy
(``RAY_SERVE_THROUGHPUT_OPTIMIZED=1`` alone), requests go to the ingress replicas' own HTTP ports
(30000 and up; the clients are spread over them), as that is where such a deployment serves:
the proxy port still answers there, through a much slower path. With HAProxy they go to the
configured port, where HAProxy listens. The ``uvicorn`` configuration is a second reference:
the same routes, security middleware and pricing code in one uvicorn process, without Ray.

Usage::

    .venv/bin/python benchmarks/serve.py                    # every configuration (~8 minutes)
    .venv/bin/python benchmarks/serve.py --configs default,throughput
    .venv/bin/python benchmarks/serve.py --list             # the configurations
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from _table import Row, print_table

# This file is named serve.py: drop its folder from the path so that ``import serve`` finds the
# OPTIX package, here and in the Ray workers (Ray copies the script's folder into theirs).
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

CONTRACT = {"S": 42.0, "K": 40.0, "T": 0.5, "r": 0.1, "q": 0.0, "sigma": 0.2, "right": "call"}
BATCH_ROWS = 100_000
BATCH_GREEKS = ["delta", "gamma", "vega", "theta", "rho"]
SINGLE_TARGET_RPS = 1_000.0
BATCH_TARGET_S = 0.100


# --------------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class Config:
    """One server setup: Serve environment variables, replicas, queue and batch parameters."""

    name: str
    env: dict[str, str] = field(default_factory=dict)
    ingress_replicas: int = 1
    pricing_replicas: int = 1
    ingress_max_ongoing: int | None = None  # None: the deployment's own setting
    pricing_max_ongoing: int | None = None
    max_batch_size: int | None = None  # None: PricingDeployment's defaults
    batch_wait_timeout_s: float | None = None
    local_closed_form: bool = False  # HandleBackend(local_closed_form=True) in the ingress
    uvicorn: bool = False  # no Ray: the pricing routes in one uvicorn process (reference)
    shipped: bool = False  # the app as optix up runs it: build_app + serve/config.yaml
    note: str = ""


_TP = {"RAY_SERVE_THROUGHPUT_OPTIMIZED": "1"}
CONFIGS: dict[str, Config] = {c.name: c for c in [
    Config("uvicorn", uvicorn=True, note="no Ray: the routes in one uvicorn process"),
    Config("shipped", {**_TP, "RAY_SERVE_ENABLE_HA_PROXY": "1"}, shipped=True,
           note="what optix up runs: build_app with serve/config.yaml's options, throughput "
                "mode and HAProxy"),
    Config("default", note="Serve defaults (HTTP proxy actor)"),
    Config("default-mor64", ingress_max_ongoing=64,
           note="ingress max_ongoing_requests 64 (default 5)"),
    Config("throughput", _TP, note="RAY_SERVE_THROUGHPUT_OPTIMIZED=1"),
    Config("haproxy", {"RAY_SERVE_ENABLE_HA_PROXY": "1"}, note="RAY_SERVE_ENABLE_HA_PROXY=1"),
    Config("throughput-haproxy", {**_TP, "RAY_SERVE_ENABLE_HA_PROXY": "1"},
           note="both"),
    Config("throughput-2ingress", _TP, ingress_replicas=2, note="2 ingress replicas"),
    Config("throughput-2pricing", _TP, pricing_replicas=2, note="2 pricing replicas"),
    Config("throughput-mor32", _TP, ingress_max_ongoing=32, pricing_max_ongoing=32,
           note="max_ongoing_requests 32 on both"),
    Config("throughput-batch16", _TP, max_batch_size=16, batch_wait_timeout_s=0.001,
           note="@serve.batch max 16, wait 1 ms"),
    Config("throughput-batch64", _TP, max_batch_size=64, batch_wait_timeout_s=0.005,
           note="@serve.batch max 64, wait 5 ms"),
    Config("throughput-batch1", _TP, max_batch_size=1, batch_wait_timeout_s=0.0,
           note="no batching (batch size 1)"),
    Config("throughput-local-mor64", _TP, local_closed_form=True, ingress_max_ongoing=64,
           note="closed forms in the ingress, ingress max_ongoing_requests 64"),
    Config("throughput-local-2ingress", _TP, local_closed_form=True, ingress_replicas=2,
           note="closed forms in the ingress, 2 ingress replicas"),
    Config("throughput-local-2ingress-mor64", _TP, local_closed_form=True, ingress_replicas=2,
           ingress_max_ongoing=64,
           note="closed forms in the ingress, 2 ingress replicas, max_ongoing_requests 64"),
    Config("throughput-haproxy-local-2ingress", {**_TP, "RAY_SERVE_ENABLE_HA_PROXY": "1"},
           local_closed_form=True, ingress_replicas=2, ingress_max_ongoing=64,
           note="HAProxy in front of 2 direct-ingress replicas, closed forms in the ingress"),
    Config("throughput-haproxy1-local-2ingress",
           {**_TP, "RAY_SERVE_ENABLE_HA_PROXY": "1", "RAY_SERVE_HAPROXY_NBTHREAD": "1"},
           local_closed_form=True, ingress_replicas=2, ingress_max_ongoing=64,
           note="as above, HAProxy with 1 thread (RAY_SERVE_HAPROXY_NBTHREAD=1, default 4)"),
    Config("default-local", local_closed_form=True,
           note="closed forms in the ingress (local_closed_form)"),
    Config("throughput-local", _TP, local_closed_form=True,
           note="closed forms in the ingress (local_closed_form)"),
    Config("haproxy-local", {"RAY_SERVE_ENABLE_HA_PROXY": "1"}, local_closed_form=True,
           note="closed forms in the ingress (local_closed_form)"),
]}


# --------------------------------------------------------------------------- server subprocess


def _issue_key(db_url: str) -> str:
    """A fresh ``read`` key in the database at ``db_url``."""
    from optix.security import roles_for
    from optix.store import Database, upgrade
    from optix.store.models import User
    from optix.store.repositories import ApiKeyRepository

    db = Database(db_url)
    upgrade(db)
    with db.transaction() as s:
        user = User(username="bench", role="viewer")
        s.add(user)
        s.flush()
        raw, _ = ApiKeyRepository(s).issue(user, "bench", roles_for("read"))
    db.dispose()
    return str(raw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening_ports(pid_filter: set[int] | None = None) -> set[int]:
    """TCP ports listening on this machine (from /proc/net/tcp)."""
    ports: set[int] = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A":  # LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


def run_server(cfg: Config) -> None:
    """Start Ray and the OPTIX app for ``cfg``, print one READY line, serve until stdin closes."""
    import ray
    from ray import serve

    from optix.config import load_settings
    from optix.security import RateLimiter
    from serve import pricing
    from serve.app import Ingress
    from serve.security import security_of

    tmp = tempfile.mkdtemp(prefix="optix-bench-serve-")
    db_url = f"sqlite:///{tmp}/optix.db"
    key = _issue_key(db_url)
    port = _free_port()
    before = _listening_ports()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    serve.start(http_options={"host": "127.0.0.1", "port": port})

    base: Any = Ingress.func_or_class

    class BenchIngress(base):  # type: ignore[misc, valid-type]
        """The app's ingress with a per-key rate limit no load test reaches."""

        async def __init__(self, settings: Any, pricing_handle: Any = None,
                           gex_handle: Any = None) -> None:
            await super().__init__(settings, pricing_handle, gex_handle)
            security = security_of(self._asgi_app)  # the app this replica serves
            assert security is not None
            security.limiter = RateLimiter(1e9, 1e9)
            # the app computes closed forms in the ingress; the configurations compare both
            pricing.set_backend(pricing.HandleBackend(
                pricing_handle, local_closed_form=cfg.local_closed_form))

    ingress_opts: dict[str, Any] = {"num_replicas": cfg.ingress_replicas}
    if cfg.ingress_max_ongoing is not None:
        ingress_opts["max_ongoing_requests"] = cfg.ingress_max_ongoing
    pricing_opts: dict[str, Any] = {"num_replicas": cfg.pricing_replicas}
    if cfg.pricing_max_ongoing is not None:
        pricing_opts["max_ongoing_requests"] = cfg.pricing_max_ongoing
    user_config = {k: v for k, v in (("max_batch_size", cfg.max_batch_size),
                                     ("batch_wait_timeout_s", cfg.batch_wait_timeout_s))
                   if v is not None}
    if user_config:
        pricing_opts["user_config"] = user_config
    ingress = serve.deployment(BenchIngress, name="ingress",
                               ray_actor_options={"num_cpus": 0}).options(**ingress_opts)
    settings = load_settings(database={"url": db_url})
    app = ingress.bind(settings, pricing.PricingDeployment.options(**pricing_opts).bind())
    if cfg.shipped:  # the real app and config; only the per-key rate limit is raised
        from serve.app import build_app
        from serve.deploy import deployment_options, load_serve_config

        settings = load_settings(database={"url": db_url},
                                 serve={"rate_per_s": 1e9, "rate_burst": 1e9})
        app = build_app(settings, deployment_options(load_serve_config()))
    serve.run(app, name="optix", route_prefix="/")
    # where to send requests: with direct ingress and no HAProxy (throughput-optimized mode),
    # the ingress replicas' own HTTP ports; else the proxy's (or HAProxy's) port
    from ray.serve._private import constants

    direct = constants.RAY_SERVE_ENABLE_DIRECT_INGRESS and not constants.RAY_SERVE_ENABLE_HA_PROXY
    lo, hi = (constants.RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT,
              constants.RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT)
    targets: list[int] = []
    deadline = time.monotonic() + 60
    while len(targets) < (cfg.ingress_replicas if direct else 1) and time.monotonic() < deadline:
        ports = sorted(p for p in _listening_ports() - before if lo <= p < hi) if direct else [port]
        targets = [p for p in ports if _get_status(p, "/healthz") == 200]
        if len(targets) < (cfg.ingress_replicas if direct else 1):
            time.sleep(0.5)
    print("READY " + json.dumps({"ports": targets, "key": key}), flush=True)
    sys.stdin.read()  # the parent closes stdin to stop us
    ray.shutdown()  # stops the local Ray, Serve with it (serve.shutdown waits 30 s here)


def run_uvicorn(cfg: Config) -> None:
    """The same routes, security and pricing code in one uvicorn process, without Ray."""
    import uvicorn
    from fastapi import Depends, FastAPI

    from optix.security import RateLimiter
    from optix.store import Database
    from serve import pricing
    from serve.app import MAX_BODY_BYTES
    from serve.security import Security, install, require

    tmp = tempfile.mkdtemp(prefix="optix-bench-serve-")
    db_url = f"sqlite:///{tmp}/optix.db"
    key = _issue_key(db_url)
    app = FastAPI()
    app.include_router(pricing.router, dependencies=[Depends(require("read"))])
    security = Security(Database(db_url))
    security.limiter = RateLimiter(1e9, 1e9)
    install(app, security, max_body_bytes=MAX_BODY_BYTES, read_only=("/v1/pricing",))
    pricing.set_backend(pricing.LocalPricing())
    port = _free_port()
    print("READY " + json.dumps({"ports": [port], "key": key}), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _get_status(port: int, path: str) -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                      .encode())
            head = s.recv(64)
        return int(head.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """A server subprocess running one :class:`Config`; a context manager."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        env = {**os.environ, **cfg.env, "RAY_DEDUP_LOGS": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, os.path.realpath(__file__), "--server", json.dumps(asdict(cfg))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
            cwd=os.path.dirname(_HERE), start_new_session=True)
        self.ports: list[int] = []
        self.key = ""

    def __enter__(self) -> Server:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("READY "):
                info = json.loads(line[6:])
                if not info["ports"]:
                    raise RuntimeError(f"{self.cfg.name}: no port answers /healthz")
                self.ports, self.key = [int(p) for p in info["ports"]], str(info["key"])
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:  # uvicorn binds after the READY line
                    try:
                        socket.create_connection(("127.0.0.1", self.ports[0]), timeout=1).close()
                        break
                    except OSError:
                        time.sleep(0.2)
                return self
        raise RuntimeError(f"{self.cfg.name}: server exited with {self.proc.wait()}")

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.cfg.uvicorn:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --------------------------------------------------------------------------- load generator


def _request(path: str, body: bytes, key: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    """Status, lower-cased headers and body of one HTTP/1.1 response with Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


@dataclass
class LoadResult:
    """What a closed-loop run of the single-contract endpoint measured."""

    requests: int
    errors: int
    seconds: float
    latencies_s: np.ndarray
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _closed_loop(ports: list[int], request: bytes, clients: int, warmup_s: float,
                       duration_s: float) -> LoadResult:
    start = time.perf_counter() + warmup_s
    stop = start + duration_s
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[i % len(ports)])
        mine, now = lat[i], time.perf_counter
        while True:
            t0 = now()
            if t0 >= stop:
                break
            writer.write(request)
            status, _, _ = await _read_response(reader)
            t1 = now()
            if t0 >= start:
                mine.append(t1 - t0)
                if status != 200:
                    errors[i] += 1
        writer.close()

    # one request first: the key's verification is cached after it (16 first requests at
    # once would each verify it in the database)
    reader, writer = await asyncio.open_connection("127.0.0.1", ports[0])
    writer.write(request)
    await _read_response(reader)
    writer.close()
    cpu0 = time.process_time()
    t_start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t_start
    cpu = time.process_time() - cpu0
    flat = np.array([x for xs in lat for x in xs])
    # measured window: from `start` to the last answer of a request sent before `stop`
    seconds = duration_s + (float(flat.max()) if flat.size else 0.0)
    return LoadResult(int(flat.size), sum(errors), seconds, flat,
                      cpu * duration_s / max(wall, 1e-9))


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


def single_load(ports: list[int], key: str, clients: int, warmup_s: float,
                duration_s: float) -> LoadResult:
    """Closed-loop load of one-contract price requests."""
    request = _request("/v1/pricing/price", json.dumps(CONTRACT).encode(), key)
    loop = _new_loop()
    try:
        return loop.run_until_complete(_closed_loop(ports, request, clients, warmup_s,
                                                    duration_s))
    finally:
        loop.close()


def batch_body(n: int = BATCH_ROWS, seed: int = 1) -> tuple[dict[str, Any], bytes]:
    """Random columns of ``n`` options (list columns, scalar r and q) and their JSON."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {
        "S": np.round(rng.uniform(50, 150, n), 2), "K": np.round(rng.uniform(50, 150, n), 0),
        "T": np.round(rng.uniform(0.01, 2, n), 6), "r": 0.04, "q": 0.0,
        "sigma": np.round(rng.uniform(0.1, 0.6, n), 4), "right": rng.choice(["c", "p"], n),
    }
    body = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in cols.items()}
    return cols, json.dumps({**body, "greeks": BATCH_GREEKS}).encode()


@dataclass
class BatchResult:
    """Server and round-trip times of the 100k batch requests (seconds)."""

    def median(self, metric: str) -> float:
        """Median seconds of one Server-Timing metric (NaN when absent)."""
        return float(np.median([t.get(metric, np.nan) for t in self.server]))

    server: list[dict[str, float]]  # Server-Timing metrics per request: app, parse, price, encode
    round_trip_s: list[float]
    response_bytes: int
    status: int


def _server_times(headers: dict[bytes, bytes]) -> dict[str, float]:
    """Seconds by metric from ``Server-Timing: app;dur=<ms>, parse;dur=<ms>, ...``."""
    out: dict[str, float] = {}
    for part in headers.get(b"server-timing", b"").split(b","):
        name, *items = part.strip().split(b";")
        for item in items:
            key, _, value = item.strip().partition(b"=")
            if key == b"dur":
                out[name.decode()] = float(value) / 1e3
    return out


def batch_requests(port: int, key: str, body: bytes, repeat: int) -> BatchResult:
    """``repeat`` sequential 100k batch requests on one keep-alive connection (after 1 warm-up)."""
    request = _request("/v1/pricing/price/batch", body, key)

    async def go() -> BatchResult:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 26)
        server: list[dict[str, float]] = []
        trip: list[float] = []
        status, size = 0, 0
        for i in range(repeat + 1):
            t0 = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, headers, resp = await _read_response(reader)
            t1 = time.perf_counter()
            size = len(resp)
            if status != 200:
                raise RuntimeError(f"batch request answered {status}: {resp[:300]!r}")
            if i:
                trip.append(t1 - t0)
                server.append(_server_times(headers))
        writer.close()
        return BatchResult(server, trip, size, status)

    loop = _new_loop()
    try:
        return loop.run_until_complete(go())
    finally:
        loop.close()


# --------------------------------------------------------------------------- references


def single_reference_s(repeat: int = 2_000) -> float:
    """Seconds per in-process price of the one contract (what the server's compute costs)."""
    from serve.pricing import price_rows
    from serve.schemas.pricing import OptionIn

    option = OptionIn.model_validate(CONTRACT)
    price_rows([option])
    t0 = time.perf_counter()
    for _ in range(repeat):
        price_rows([option])
    return (time.perf_counter() - t0) / repeat


def batch_reference_s(cols: dict[str, Any], repeat: int = 5) -> float:
    """Best seconds of :func:`optix.quant.bsm_greeks` on the batch's columns in this process."""
    from optix.quant import bsm_greeks

    w = np.where(cols["right"] == "c", 1.0, -1.0)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        bsm_greeks(cols["S"], cols["K"], cols["T"], cols["r"], cols["q"], cols["sigma"], w,
                   order=1)
        best = min(best, time.perf_counter() - t0)
    return best


# --------------------------------------------------------------------------- main


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else float("nan")


def bench(cfg: Config, args: argparse.Namespace, body: bytes) -> tuple[LoadResult, BatchResult]:
    """Start ``cfg``'s server, run both measurements, stop it."""
    t0 = time.perf_counter()
    with Server(cfg) as srv:
        started = time.perf_counter() - t0
        load = single_load(srv.ports, srv.key, args.clients, args.warmup, args.duration)
        print(f"  {cfg.name}: started in {started:.0f} s (ports {srv.ports}); "
              f"{load.rps:,.0f} req/s, p50 {_pct(load.latencies_s, 50) * 1e3:.2f} ms, "
              f"p99 {_pct(load.latencies_s, 99) * 1e3:.2f} ms, {load.errors} non-200; "
              f"client CPU {load.client_cpu_s / args.duration:.0%} of a core", flush=True)
        batch = batch_requests(srv.ports[0], srv.key, body, args.batches)
    print(f"  {cfg.name}: batch server {batch.median('app') * 1e3:.1f} ms, "
          f"round trip {np.median(batch.round_trip_s) * 1e3:.1f} ms", flush=True)
    return load, batch


def main(argv: list[str] | None = None) -> None:
    """Benchmark the configurations named on the command line and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=",".join(CONFIGS),
                   help="comma-separated configuration names (see --list)")
    p.add_argument("--list", action="store_true", help="list the configurations and exit")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=8.0, help="measured seconds of load")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of load not measured")
    p.add_argument("--batches", type=int, default=7, help="measured 100k batch requests")
    p.add_argument("--server", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.server:
        cfg = Config(**json.loads(args.server))
        (run_uvicorn if cfg.uvicorn else run_server)(cfg)
        return
    if args.list:
        for c in CONFIGS.values():
            print(f"{c.name:<28}{c.note}")
        return
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        p.error(f"unknown configuration(s) {unknown}; see --list")
    t_all = time.perf_counter()
    cols, body = batch_body()
    ref_single = single_reference_s()
    ref_batch = batch_reference_s(cols)
    print(f"references: one contract in-process {ref_single * 1e6:.0f} us; 100k batch "
          f"bsm_greeks {ref_batch * 1e3:.1f} ms; request body {len(body) / 1e6:.1f} MB",
          flush=True)
    rows: list[Row] = []
    for name in names:
        cfg = CONFIGS[name]
        try:
            load, batch = bench(cfg, args, body)
        except Exception as exc:  # one broken configuration must not hide the others
            print(f"  {name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        lat = load.latencies_s
        rows.append(Row(
            f"{name}: 1 contract x{args.clients} clients", load.requests,
            1e6 / load.rps, ref_single * 1e6, "price_rows, 1 contract",
            1e6 / SINGLE_TARGET_RPS,
            f"{load.rps:,.0f} req/s, p50 {_pct(lat, 50) * 1e3:.2f} ms, "
            f"p99 {_pct(lat, 99) * 1e3:.2f} ms, {load.errors} non-200, client CPU "
            f"{load.client_cpu_s / args.duration:.0%}"))
        rows.append(Row(
            f"{name}: 100k batch, server time", BATCH_ROWS,
            batch.median("app") * 1e6, ref_batch * 1e6, "bsm_greeks in-process",
            BATCH_TARGET_S * 1e6,
            f"median of {len(batch.server)}: parse {batch.median('parse') * 1e3:.1f}, price "
            f"{batch.median('price') * 1e3:.1f}, encode {batch.median('encode') * 1e3:.1f} ms; "
            f"round trip median "
            f"{np.median(batch.round_trip_s) * 1e3:.1f} ms, min "
            f"{min(batch.round_trip_s) * 1e3:.1f} ms; response "
            f"{batch.response_bytes / 1e6:.1f} MB"))
    print()
    print_table(rows, f"Pricing API on Ray Serve over loopback, {os.cpu_count()} cores "
                      "(benchmarks/serve.py); n: requests measured, or rows for the batch; "
                      "ours/item: wall time per request")
    print(f"total {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
