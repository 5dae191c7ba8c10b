"""Alpaca adapter against a stand-in HTTP server on loopback (no network)."""

import datetime as dt
import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from optix.data import SourceError
from optix.data.alpaca import AlpacaDataConfig, AlpacaMarketData, AlpacaSource

SNAP = {"latestQuote": {"bp": 1.0, "ap": 1.1}, "latestTrade": {"p": 1.05},
        "impliedVolatility": 0.2, "greeks": {"delta": 0.5, "gamma": 0.02, "vega": 0.1,
                                             "theta": -0.05}, "dailyBar": {"v": 7}}


class StandIn(BaseHTTPRequestHandler):
    calls: typing.ClassVar[list[str]] = []
    fail_bars = 1

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        type(self).calls.append(url.path + ("?page" if "page_token" in q else ""))
        assert self.headers["APCA-API-KEY-ID"] == "key-id"
        if url.path == "/v1beta1/options/snapshots/SPY":
            if "page_token" not in q:
                return self._send(200, {"snapshots": {"SPY251219C00600000": SNAP},
                                        "next_page_token": "p2"})
            return self._send(200, {"snapshots": {"SPY251219P00600000": SNAP},
                                    "next_page_token": None})
        if url.path == "/v2/options/contracts":
            if q.get("page_token") == ["c2"]:
                return self._send(200, {"option_contracts": [
                    {"symbol": "SPY251219P00600000", "expiration_date": "2025-12-19",
                     "strike_price": "600", "type": "put", "open_interest": "900"}],
                    "next_page_token": None})
            return self._send(200, {"option_contracts": [
                {"symbol": "SPY251219C00600000", "expiration_date": "2025-12-19",
                 "strike_price": "600", "type": "call", "open_interest": "1200"}],
                "next_page_token": "c2"})
        if url.path == "/v2/stocks/trades/latest":
            return self._send(200, {"trades": {"SPY": {"p": 601.25, "s": 100}}})
        if url.path == "/v2/stocks/bars":
            if type(self).fail_bars > 0:
                type(self).fail_bars -= 1
                return self._send(429, {"message": "too many requests"}, {"Retry-After": "0"})
            return self._send(200, {"bars": {"SPY": [{"t": "2025-12-01T14:30:00Z", "o": 1,
                                                      "h": 2, "l": 0.5, "c": 1.5, "v": 10,
                                                      "n": 3, "vw": 1.2}]},
                                    "next_page_token": None})
        if url.path == "/v1beta1/options/bars":
            return self._send(503, {"message": "down"})
        return self._send(404, {"message": f"no route {url.path}"})


@pytest.fixture()
def server():
    StandIn.calls = []
    StandIn.fail_bars = 1
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def config(url):
    return AlpacaDataConfig(api_key="key-id", secret_key="s3cret", data_url=url,
                            trading_url=url, backoff_s=0.0, retries=2, symbols=("SPY",))


def test_chain_joins_snapshots_pages_and_paged_open_interest(server):
    data = AlpacaMarketData(config(server), sleep=lambda s: None)
    chain = data.chain("SPY", as_of_ns=1_764_000_000_000_000_000)
    assert chain.spot == 601.25 and len(chain) == 2
    assert sorted(chain.open_interest.tolist()) == [900, 1200]
    assert chain.iv.tolist() == [0.2, 0.2] and chain.volume.tolist() == [7, 7]
    assert chain.validate().n_rejected == 0
    assert "/v2/options/contracts?page" in StandIn.calls  # we followed page_token
    assert "/v1beta1/options/snapshots/SPY?page" in StandIn.calls


def test_rate_limit_is_retried_and_server_errors_fail_clearly(server):
    waits = []
    data = AlpacaMarketData(config(server), sleep=waits.append)
    bars = data.stock_bars(["SPY"], start=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    assert len(bars) == 1 and bars.close[0] == 1.5 and waits == [0.0]
    with pytest.raises(SourceError, match="HTTP 503"):
        data.option_bars(["SPY251219C00600000"], start=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    assert StandIn.calls.count("/v1beta1/options/bars") == 3  # first try + 2 retries


def test_source_polls_counts_rows_and_keeps_keys_out_of_repr(server):
    source = AlpacaSource(config(server), polls=2, sleep=lambda s: None,
                          clock=iter(range(10**18, 10**18 + 100)).__next__)
    batches = list(source.batches())
    assert [len(b.chains) for b in batches] == [1, 1]
    assert source.stats.accepted["chain_row"] == 4
    assert "s3cret" not in repr(source.config) and "key-id" not in repr(source.config)
