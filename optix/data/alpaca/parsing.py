"""Alpaca JSON shapes to OPTIX columns.

Alpaca's market-data JSON uses one-letter keys: trades ``{"t", "x", "p", "s", "c"}``,
quotes ``{"bp", "ap", ...}``, bars ``{"t", "o", "h", "l", "c", "v", "n", "vw"}``; option
snapshots ``{"latestQuote", "latestTrade", "impliedVolatility", "greeks", "dailyBar"}``;
option contracts ``{"symbol", "expiration_date", "strike_price", "type", "open_interest"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from optix.core import ChainSnapshot, OptionTradeBatch, parse_occ_array
from optix.core._columnar import INT_MISSING
from optix.data.replay.parsing import parse_timestamps, underlying_of_root

__all__ = ["bars_frame", "chain_from_snapshots", "contracts_frame", "trades_batch"]



def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _int(value: Any) -> int:
    f = _num(value)
    return int(f) if np.isfinite(f) and f == int(f) else INT_MISSING


def contracts_frame(contracts: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Option contracts as a frame: symbol, underlying, expiry, strike, right, open_interest.

    Open interest is ``-1`` where Alpaca gives none (validation rejects it as negative
    rather than pretending zero).
    """
    rows = [{
        "symbol": c.get("symbol", ""),
        "underlying": c.get("underlying_symbol") or c.get("root_symbol") or "",
        "expiry": c.get("expiration_date"),
        "strike": _num(c.get("strike_price")),
        "right": {"call": 1, "put": -1}.get(str(c.get("type", "")).lower(), 0),
        "open_interest": _int(c.get("open_interest")) if c.get("open_interest") is not None
        else -1,
        "open_interest_date": c.get("open_interest_date"),
    } for c in contracts]
    return pd.DataFrame(rows, columns=["symbol", "underlying", "expiry", "strike", "right",
                                       "open_interest", "open_interest_date"])


def chain_from_snapshots(underlying: str, spot: float, as_of_ns: int,
                         snapshots: Mapping[str, Mapping[str, Any]],
                         open_interest: Mapping[str, int] | None = None) -> ChainSnapshot:
    """A chain snapshot from Alpaca option snapshots (and open interest by symbol).

    Contracts with no open interest known get ``-1`` (rejected by validation, counted),
    symbols that are not OCC get a NaN strike (rejected as a NaN field).
    """
    symbols = list(snapshots)
    parsed = parse_occ_array(np.array(symbols, dtype=str))
    oi = open_interest or {}
    snaps = [snapshots[s] for s in symbols]

    def field(group: str, key: str) -> list[float]:
        return [_num((s.get(group) or {}).get(key)) for s in snaps]

    return ChainSnapshot.from_columns(
        underlying=underlying, spot=spot, as_of_ns=as_of_ns, root=parsed.root,
        expiry=parsed.expiry, strike=np.where(parsed.valid, parsed.strike, np.nan),
        right=parsed.right, bid=field("latestQuote", "bp"), ask=field("latestQuote", "ap"),
        last=[_num((s.get("latestTrade") or {}).get("p", 0.0)) for s in snaps],
        volume=[_int((s.get("dailyBar") or {}).get("v", 0)) for s in snaps],
        open_interest=[oi.get(sym, -1) for sym in symbols],
        iv=[_num(s.get("impliedVolatility")) for s in snaps],
        delta=field("greeks", "delta"), gamma=field("greeks", "gamma"),
        vega=field("greeks", "vega"), theta=field("greeks", "theta"),
    )


def trades_batch(trades: Mapping[str, Sequence[Mapping[str, Any]]],
                 first_seq: int = 0) -> OptionTradeBatch:
    """Option trades keyed by OCC symbol (Alpaca's historical or stream shape) as a batch.

    ``x`` is the OPRA participant letter; Alpaca's trade condition letters are not OPRA
    flags we can map reliably, so conditions are left empty. The NBBO is not part of an
    Alpaca trade: bid and ask are 0 (unknown), so these prints get no aggressor side.
    """
    symbols, ts, price, size, venue = [], [], [], [], []
    for symbol, rows in trades.items():
        for r in rows:
            symbols.append(symbol)
            ts.append(r.get("t"))
            price.append(_num(r.get("p")))
            size.append(_int(r.get("s")))
            venue.append(str(r.get("x", "")))
    n = len(symbols)
    parsed = parse_occ_array(np.array(symbols, dtype=str))
    ts_ns, _ = parse_timestamps(pd.Series(ts, dtype="string"))
    order = np.argsort(ts_ns, kind="stable")
    underlying = np.array([underlying_of_root(str(r)) for r in parsed.root], dtype=str)
    return OptionTradeBatch.from_columns(
        ts_ns=ts_ns[order], seq=np.arange(first_seq, first_seq + n),
        underlying=underlying[order], expiry=parsed.expiry[order],
        strike=np.where(parsed.valid, parsed.strike, np.nan)[order], right=parsed.right[order],
        price=np.asarray(price)[order], size=np.asarray(size, dtype=np.int64)[order],
        venue=np.asarray(venue, dtype=str)[order], bid=np.zeros(n), ask=np.zeros(n),
    )


def bars_frame(bars: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """Bars keyed by symbol as one long frame.

    Columns: symbol, ts (UTC), open, high, low, close, volume, trades, vwap.
    """
    rows = [{"symbol": sym, "ts": b.get("t"), "open": _num(b.get("o")), "high": _num(b.get("h")),
             "low": _num(b.get("l")), "close": _num(b.get("c")), "volume": _num(b.get("v")),
             "trades": _num(b.get("n")), "vwap": _num(b.get("vw"))}
            for sym, items in bars.items() for b in items]
    frame = pd.DataFrame(rows, columns=["symbol", "ts", "open", "high", "low", "close",
                                        "volume", "trades", "vwap"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    return frame
