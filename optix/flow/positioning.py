"""Market-maker positioning: dealer inventory estimated from signed flow, with real Greeks.

The assumption
--------------
Market makers take the other side of aggressive prints: a print at or above the ask is a
customer buying from a dealer (the dealer sells), one at or below the bid a customer selling to
a dealer (the dealer buys). The estimated dealer inventory of a contract is therefore

    ``dealer_contracts = - sum(aggressor x size)``

over every print seen since the start (or :meth:`PositioningModel.reset`). Mid-market prints
(no aggressor) and prints with no side (canceled, late, out of sequence, no usable quote) are
**excluded**: nothing says which side the dealer took. Canceled prints add no volume either.
It is an estimate: it knows nothing of the inventory carried in, of customer-to-customer
crosses, or of dealers who lean the other way.

Greeks
------
Per contract with a dealer position, at query time ``now``:

- ``S``: the underlying's latest spot, from a chain snapshot's ``spot`` or the latest lit
  (on-exchange, not canceled) equity print, whichever is later; without a spot the contract
  is unpriced (reported, left out of the sums);
- ``T``: from ``now`` to 16:00 New York on the expiry date, in years of 365 days;
- ``sigma``: the chain snapshot's IV for the contract when one was given and is positive,
  else the implied volatility (:func:`optix.quant.implied_vol`) of the mid of the quote met by
  the contract's latest print with a usable quote, against the current spot; an IV that cannot
  be found (a mid under intrinsic, say) leaves the contract unpriced;
- ``r``, ``q``: :class:`PositioningConfig` (continuous, decimal).

Greeks come from :func:`optix.quant.bsm_greeks` (European BSM; US single-stock options are
American, a second-order difference for the hedging picture). Dealer exposures, per contract
and summed per underlying, in the units a desk uses (multiplier 100 shares):

==============  ========================================  ====================================
exposure        formula                                   unit
==============  ========================================  ====================================
dealer delta    ``contracts x 100 x delta``               shares of the underlying
dealer gamma    ``contracts x 100 x gamma``               shares per $1 move of the underlying
dealer vega     ``contracts x 100 x vega / 100``          $ per vol point (1 % of vol)
dealer theta    ``contracts x 100 x theta / 365``         $ per calendar day
==============  ========================================  ====================================

Hedge pressure
--------------
A delta-hedged dealer holds ``-dealer_delta`` shares. After the underlying moves up by ``dS``
the dealer's delta changes by ``dealer_gamma x dS``, so to stay flat the dealer trades
``-dealer_gamma x dS`` shares. For a 1 % rally that is
``hedge_shares_up_1pct = -dealer_gamma x S x 0.01``: dealers **short gamma buy into rallies**
(and sell into declines, amplifying moves); dealers **long gamma sell into rallies** (damping
them). ``hedge_pressure`` is its sign (+1 buy, -1 sell, 0 none) and ``gamma_bias`` the label
``'short_gamma'`` / ``'long_gamma'`` / ``'neutral'`` (within
:attr:`PositioningConfig.neutral_shares` of zero).

Other measures
--------------
``gamma_strike``: the strike whose summed dealer gamma (over expiries and rights) is largest in
absolute value. ``max_pain`` (:meth:`PositioningModel.max_pain`, needs a
:class:`~optix.core.reference.ContractReference`): per expiry, the listed strike at which the
option holders' intrinsic value ``sum_calls OI x max(P - K, 0) + sum_puts OI x max(K - P, 0)``
is smallest (the lowest such strike on a tie). Put/call ratios: put over call contracts and
premium traded (all non-canceled prints), and put over call open interest (with a reference).

Every accumulated quantity is an integer (contracts, premium in cents) or a last value in tape
order, so the state is the same whatever way the tape is split into batches.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import FloatArray, Int64Array
from optix.core.chains import ChainSnapshot
from optix.core.enums import Condition
from optix.core.equities import EquityPrintBatch
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.flow.clusters import contract_keys
from optix.flow.events import FlowEvent
from optix.flow.side import SideConfig, aggressor, classify_side
from optix.quant import bsm_greeks, implied_vol

__all__ = ["PositioningConfig", "PositioningModel", "expiry_close_ns"]

_S = 1_000_000_000
_YEAR_NS = 365.0 * 86_400 * _S
_NY = ZoneInfo("America/New_York")
_CANCEL = np.uint32(int(Condition.CANCEL))
_NO_SIDE = np.uint32(int(Condition.no_side()))
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PositioningConfig:
    """Market inputs and labels of the dealer-positioning model.

    Attributes
    ----------
    rate : float
        Risk-free rate, continuously compounded decimal (0.04).
    dividend_yield : float
        Dividend yield of every underlying, continuous decimal (0.0).
    multiplier : int
        Shares per contract (100).
    neutral_shares : float
        ``gamma_bias`` is ``'neutral'`` when ``|hedge_shares_up_1pct|`` is at most this (0:
        only an exactly flat book is neutral).
    side : SideConfig
        How prints are placed against the quote.
    """

    rate: float = 0.04
    dividend_yield: float = 0.0
    multiplier: int = 100
    neutral_shares: float = 0.0
    side: SideConfig = field(default_factory=SideConfig)

    def __post_init__(self) -> None:
        for name in ("rate", "dividend_yield"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ValueError(f"{name} must be finite, got {v!r}")
        if self.multiplier < 1:
            raise ValueError(f"multiplier must be at least 1, got {self.multiplier}")
        if not (math.isfinite(self.neutral_shares) and self.neutral_shares >= 0):
            raise ValueError(f"neutral_shares must be finite and >= 0, got "
                             f"{self.neutral_shares!r}")


@lru_cache(maxsize=4096)
def _close_ns(day: int) -> int:
    d = _EPOCH + dt.timedelta(days=day)
    return round(dt.datetime.combine(d, dt.time(16), tzinfo=_NY).timestamp()) * _S


def expiry_close_ns(expiry_day: npt.ArrayLike) -> Int64Array:
    """16:00 New York on each expiry date (days since 1970), epoch ns."""
    days = np.asarray(expiry_day, dtype=np.int64).reshape(-1)
    uniq, inv = np.unique(days, return_inverse=True)
    table = np.array([_close_ns(int(d)) for d in uniq.tolist()], dtype=np.int64)
    return table[inv.reshape(-1)]


@dataclass(frozen=True, slots=True)
class _Contracts:
    """The four contract columns :func:`contract_keys` reads."""

    underlying: npt.NDArray[np.str_]
    expiry: npt.NDArray[np.datetime64]
    strike: FloatArray
    right: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.strike.size)


def _keys(underlying: Any, expiry: Any, strike: Any, right: Any) -> Int64Array:
    c = _Contracts(np.asarray(underlying, dtype=str), np.asarray(expiry, dtype="datetime64[D]"),
                   np.asarray(strike, dtype=np.float64), np.asarray(right, dtype=np.int8))
    return contract_keys(cast(OptionTradeBatch, c))


_NUM = {"pos": np.int64, "volume": np.int64, "cents": np.int64, "mid": np.float64,
        "mid_ts": np.int64, "expiry": np.int64, "strike": np.float64, "right": np.int8}


class PositioningModel:
    """Dealer inventory and Greeks from signed option flow (see the module docstring).

    Parameters
    ----------
    config : PositioningConfig, optional
        Market inputs; defaults to :class:`PositioningConfig()`.

    Notes
    -----
    Queries return :class:`pandas.DataFrame` objects: :meth:`positions` per contract,
    :meth:`exposure` per underlying, :meth:`max_pain` per underlying and expiry.
    """

    def __init__(self, config: PositioningConfig | None = None) -> None:
        self.config = config or PositioningConfig()
        self.reset()
        self._spot: dict[str, tuple[int, float]] = {}
        self._chain_iv: dict[int, float] = {}
        self._ref: pd.DataFrame | None = None
        self._now = -(2**62)

    def reset(self) -> None:
        """Forget the accumulated inventory and volumes (e.g. at a new session)."""
        self._keylist: list[int] = []
        self._sorted = np.empty(0, dtype=np.int64)
        self._sorted_slot = np.empty(0, dtype=np.int64)
        self._under: list[str] = []
        self._n = 0
        self._a: dict[str, npt.NDArray[Any]] = {k: np.zeros(16, dtype=t) for k, t in _NUM.items()}
        self._a["mid"][:] = np.nan

    @property
    def n_contracts(self) -> int:
        """Contracts traded since the start (or the last :meth:`reset`)."""
        return self._n

    # ------------------------------------------------------------------ inputs
    def update(self, trades: OptionTradeBatch | None, now_ns: int, *,
               equities: EquityPrintBatch | None = None,
               chains: Iterable[ChainSnapshot] = (),
               reference: ContractReference | None = None,
               side: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Feed one batch.

        Parameters
        ----------
        trades : OptionTradeBatch or None
            Validated option prints, in time order.
        now_ns : int
            Current time (the default ``now`` of the queries).
        equities : EquityPrintBatch, optional
            Equity prints: the latest lit print per symbol sets its spot.
        chains : iterable of ChainSnapshot
            Chain snapshots: spot and per-contract IV.
        reference : ContractReference, optional
            Open interest (for max pain and the open-interest put/call ratio).
        side : array_like, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of ``trades``.

        Returns
        -------
        list of FlowEvent
            Always empty: the model reports through its queries.
        """
        if reference is not None:
            self.set_reference(reference)
        for ch in chains:
            self.set_chain(ch)
        if equities is not None and len(equities):
            self._add_equities(equities)
        if trades is not None and len(trades):
            self._add_trades(trades, side)
        self._now = max(self._now, int(now_ns))
        return []

    def flush(self) -> list[FlowEvent]:
        """Nothing to close: the model emits no events."""
        return []

    def set_spot(self, underlying: str, spot: float, ts_ns: int) -> None:
        """Use ``spot`` for ``underlying`` unless a later one is already known."""
        old = self._spot.get(underlying)
        if old is None or ts_ns >= old[0]:
            self._spot[underlying] = (int(ts_ns), float(spot))

    def set_chain(self, chain: ChainSnapshot) -> None:
        """Take the chain's spot and its positive, finite IVs (latest chain wins)."""
        self.set_spot(chain.underlying, chain.spot, chain.as_of_ns)
        ok = np.isfinite(chain.iv) & (chain.iv > 0)
        if ok.any():
            keys = _keys(np.full(int(ok.sum()), chain.underlying), chain.expiry[ok],
                         chain.strike[ok], chain.right[ok])
            self._chain_iv.update(zip(keys.tolist(), chain.iv[ok].tolist(), strict=True))

    def set_reference(self, reference: ContractReference) -> None:
        """Use ``reference`` open interest from now on."""
        self._ref = pd.DataFrame({
            "underlying": np.asarray(reference.underlying, dtype=str),
            "expiry": reference.expiry.astype("datetime64[D]").astype(np.int64),
            "strike": reference.strike, "right": reference.right,
            "open_interest": reference.open_interest})

    def _add_equities(self, eq: EquityPrintBatch) -> None:
        ok = ((eq.conditions & _NO_SIDE) == 0) & (eq.venue < 100)
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return
        sym = eq.symbol[rows]
        # the latest print per symbol (ties: the later row)
        order = np.lexsort((rows, eq.ts_ns[rows]))
        last: dict[str, int] = dict(zip(sym[order].tolist(), rows[order].tolist(), strict=True))
        for name, r in last.items():
            self.set_spot(name, float(eq.price[r]), int(eq.ts_ns[r]))

    def _grow(self, need: int) -> None:
        cap = self._a["pos"].size
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for k, arr in self._a.items():
            ext = np.zeros(new, dtype=arr.dtype)
            if k == "mid":
                ext[:] = np.nan
            ext[:cap] = arr
            self._a[k] = ext

    def _add_trades(self, trades: OptionTradeBatch, s: npt.ArrayLike | None = None) -> None:
        keep = (trades.conditions & _CANCEL) == 0
        if not keep.all():
            rows = np.flatnonzero(keep)
            if rows.size == 0:
                return
            trades = trades.take(rows)
            if s is not None:
                s = np.asarray(s, dtype=np.int8)[rows]
        side = (classify_side(trades.price, trades.bid, trades.ask, trades.conditions,
                              self.config.side)
                if s is None else np.asarray(s, dtype=np.int8))
        agg = aggressor(side)
        codes, uniq = pd.factorize(contract_keys(trades))
        m = len(uniq)
        uk = np.asarray(uniq, dtype=np.int64)
        pos = np.searchsorted(self._sorted, uk)
        hit = pos < self._sorted.size
        hit[hit] = self._sorted[pos[hit]] == uk[hit]
        slots = np.empty(m, dtype=np.int64)
        slots[hit] = self._sorted_slot[pos[hit]]
        fresh = np.flatnonzero(~hit)
        new = fresh.tolist()
        if new:
            ids = np.arange(self._n, self._n + fresh.size, dtype=np.int64)
            slots[fresh] = ids
            self._keylist += uk[fresh].tolist()
            o = np.argsort(uk[fresh], kind="stable")
            ins = np.searchsorted(self._sorted, uk[fresh][o])
            self._sorted = np.insert(self._sorted, ins, uk[fresh][o])
            self._sorted_slot = np.insert(self._sorted_slot, ins, ids[o])
        n = len(trades)
        if new:
            first = np.empty(m, dtype=np.int64)
            first[codes[::-1]] = np.arange(n - 1, -1, -1)
            rows = first[np.asarray(new, dtype=np.int64)]
            self._grow(self._n + len(new))
            at = slice(self._n, self._n + len(new))
            self._a["expiry"][at] = trades.expiry[rows].astype("datetime64[D]").astype(np.int64)
            self._a["strike"][at] = trades.strike[rows]
            self._a["right"][at] = trades.right[rows]
            self._under += trades.underlying[rows].astype(str).tolist()
            self._n += len(new)
        size = trades.size
        a = self._a
        a["pos"][slots] -= np.rint(np.bincount(codes, weights=agg * size, minlength=m)
                                   ).astype(np.int64)
        a["volume"][slots] += np.rint(np.bincount(codes, weights=size, minlength=m)
                                      ).astype(np.int64)
        a["cents"][slots] += np.rint(np.bincount(
            codes, weights=np.rint(trades.price * size * 10_000.0), minlength=m)).astype(np.int64)
        bid, ask = trades.bid, trades.ask
        with np.errstate(invalid="ignore"):
            usable = np.isfinite(bid) & np.isfinite(ask) & (ask > 0) & (bid >= 0) & (bid <= ask)
        # a canceled, late or out-of-sequence print carries a stale quote: never its mid
        usable &= (trades.conditions & _NO_SIDE) == 0
        ur = np.flatnonzero(usable)
        if ur.size:
            last = np.full(m, -1, dtype=np.int64)
            last[codes[ur]] = ur  # the last usable row of each contract wins
            has = last >= 0
            lr = last[has]
            newer = trades.ts_ns[lr] >= a["mid_ts"][slots[has]]
            to = slots[has][newer]
            lr = lr[newer]
            a["mid"][to] = 0.5 * (bid[lr] + ask[lr])
            a["mid_ts"][to] = trades.ts_ns[lr]

    # ------------------------------------------------------------------ queries
    def positions(self, now_ns: int | None = None) -> pd.DataFrame:
        """Per contract with a dealer position: inventory, inputs and dealer Greeks.

        Parameters
        ----------
        now_ns : int, optional
            Valuation time (default: the latest ``now_ns`` given to :meth:`update`).

        Returns
        -------
        pandas.DataFrame
            ``underlying, expiry, strike, right, dealer_contracts, spot, T, iv, iv_source``
            (``'chain'``, ``'mid'`` or ``''`` when unpriced), ``priced`` and the dealer
            exposures ``delta`` (shares), ``gamma`` (shares per $1), ``vega`` ($ per vol
            point), ``theta`` ($ per day); nan where unpriced. Sorted by contract.
        """
        cfg = self.config
        now = self._now if now_ns is None else int(now_ns)
        n = self._n
        a = self._a
        sel = np.flatnonzero(a["pos"][:n] != 0)
        under = np.asarray(self._under, dtype=str)[sel] if n else np.empty(0, dtype=str)
        pos = a["pos"][sel]
        days = a["expiry"][sel]
        strike = a["strike"][sel]
        right = a["right"][sel]
        spot = np.array([self._spot.get(u, (0, math.nan))[1] for u in under.tolist()],
                        dtype=np.float64)
        t = (expiry_close_ns(days) - now) / _YEAR_NS if sel.size else np.empty(0)
        keys = np.asarray(self._keylist, dtype=np.int64)[sel] if n else np.empty(0, np.int64)
        chain_iv = np.array([self._chain_iv.get(k, math.nan) for k in keys.tolist()],
                            dtype=np.float64)
        iv = chain_iv.copy()
        source = np.where(np.isfinite(chain_iv), "chain", "")
        need = ~np.isfinite(chain_iv) & np.isfinite(spot) & np.isfinite(a["mid"][sel]) & (t > 0)
        if need.any():
            mid_iv = implied_vol(a["mid"][sel][need], spot[need], strike[need], t[need],
                                 cfg.rate, cfg.dividend_yield, right[need]).vol
            iv[need] = mid_iv
            source[need] = np.where(np.isfinite(mid_iv), "mid", "")
        priced = np.isfinite(iv) & np.isfinite(spot) & (spot > 0)
        expo = {k: np.full(sel.size, math.nan) for k in ("delta", "gamma", "vega", "theta")}
        if priced.any():
            g = bsm_greeks(spot[priced], strike[priced], np.maximum(t[priced], 0.0), cfg.rate,
                           cfg.dividend_yield, iv[priced], right[priced])
            shares = pos[priced] * float(cfg.multiplier)
            expo["delta"][priced] = shares * g.delta
            expo["gamma"][priced] = shares * g.gamma
            expo["vega"][priced] = shares * g.vega / 100.0
            expo["theta"][priced] = shares * g.theta / 365.0
        df = pd.DataFrame({
            "underlying": under, "expiry": days.astype("datetime64[D]"), "strike": strike,
            "right": right, "dealer_contracts": pos, "spot": spot, "T": t, "iv": iv,
            "iv_source": source, "priced": priced, **expo})
        return df.sort_values(["underlying", "expiry", "strike", "right"],
                              kind="stable").reset_index(drop=True)

    def exposure(self, now_ns: int | None = None) -> pd.DataFrame:
        """Per underlying: net dealer Greeks, hedge pressure, gamma strike, bias, ratios.

        Parameters
        ----------
        now_ns : int, optional
            Valuation time (default: the latest ``now_ns`` given to :meth:`update`).

        Returns
        -------
        pandas.DataFrame
            One row per underlying traded: ``underlying, spot, dealer_delta`` (shares),
            ``dealer_gamma`` (shares per $1), ``dealer_vega`` ($ per vol point),
            ``dealer_theta`` ($ per day), ``hedge_shares_up_1pct`` (shares dealers trade
            after a 1 % rally, + buy), ``hedge_pressure`` (+1 / -1 / 0), ``gamma_bias``,
            ``gamma_strike``, ``unpriced`` (contracts with a position but no Greeks),
            ``put_call_volume_ratio``, ``put_call_premium_ratio``, ``put_call_oi_ratio``
            (nan without a reference). Sorted by underlying.
        """
        cfg = self.config
        pos = self.positions(now_ns)
        n = self._n
        a = self._a
        vol = pd.DataFrame({"underlying": np.asarray(self._under, dtype=str),
                            "right": a["right"][:n], "volume": a["volume"][:n],
                            "cents": a["cents"][:n]})
        call = vol["right"] > 0
        vol["call_vol"] = np.where(call, vol["volume"], 0)
        vol["put_vol"] = np.where(~call, vol["volume"], 0)
        vol["call_cents"] = np.where(call, vol["cents"], 0)
        vol["put_cents"] = np.where(~call, vol["cents"], 0)
        out = vol.groupby("underlying", sort=True)[
            ["call_vol", "put_vol", "call_cents", "put_cents"]].sum()
        p = pos[pos["priced"]]
        net = p.groupby("underlying")[["delta", "gamma", "vega", "theta"]].sum()
        out = out.join(net.rename(columns=lambda c: f"dealer_{c}"), how="left")
        for c in ("dealer_delta", "dealer_gamma", "dealer_vega", "dealer_theta"):
            out[c] = out[c].fillna(0.0)
        out["unpriced"] = pos[~pos["priced"]].groupby("underlying").size().reindex(
            out.index, fill_value=0).astype(np.int64)
        out["spot"] = [self._spot.get(str(u), (0, math.nan))[1] for u in out.index]
        hedge = -out["dealer_gamma"] * out["spot"].fillna(0.0) * 0.01
        out["hedge_shares_up_1pct"] = hedge
        thr = cfg.neutral_shares
        out["hedge_pressure"] = np.where(hedge > thr, 1, np.where(hedge < -thr, -1, 0))
        out.loc[hedge.abs() <= thr, "hedge_pressure"] = 0
        out["gamma_bias"] = np.select([out["hedge_pressure"] > 0, out["hedge_pressure"] < 0],
                                      ["short_gamma", "long_gamma"], "neutral")
        by_strike = p.groupby(["underlying", "strike"])["gamma"].sum().reset_index()
        by_strike["abs"] = by_strike["gamma"].abs()
        by_strike = by_strike[by_strike["abs"] > 0].sort_values(
            ["underlying", "abs", "strike"], ascending=[True, False, True], kind="stable")
        top = by_strike.groupby("underlying").head(1).set_index("underlying")["strike"]
        out["gamma_strike"] = top.reindex(out.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["put_call_volume_ratio"] = out["put_vol"] / out["call_vol"]
            out["put_call_premium_ratio"] = out["put_cents"] / out["call_cents"]
            if self._ref is not None:
                ref = self._ref
                oi = ref.assign(c=np.where(ref["right"] > 0, ref["open_interest"], 0),
                                p=np.where(ref["right"] < 0, ref["open_interest"], 0)
                                ).groupby("underlying")[["c", "p"]].sum()
                oi = oi.reindex(out.index)
                out["put_call_oi_ratio"] = oi["p"] / oi["c"]
            else:
                out["put_call_oi_ratio"] = math.nan
        cols = ["spot", "dealer_delta", "dealer_gamma", "dealer_vega", "dealer_theta",
                "hedge_shares_up_1pct", "hedge_pressure", "gamma_bias", "gamma_strike",
                "unpriced", "put_call_volume_ratio", "put_call_premium_ratio",
                "put_call_oi_ratio"]
        return out[cols].reset_index()

    def max_pain(self, underlying: str | None = None) -> pd.DataFrame:
        """Max-pain strike per underlying and expiry, from the reference's open interest.

        Parameters
        ----------
        underlying : str, optional
            Only this underlying (default: every one in the reference).

        Returns
        -------
        pandas.DataFrame
            ``underlying, expiry, max_pain, pain`` (holders' intrinsic value at ``max_pain``,
            dollars, multiplier included); empty without a reference.
        """
        cols = ["underlying", "expiry", "max_pain", "pain"]
        if self._ref is None:
            return pd.DataFrame({c: [] for c in cols})
        ref = self._ref
        if underlying is not None:
            ref = ref[ref["underlying"] == underlying]
        rows: list[tuple[str, np.datetime64, float, float]] = []
        mult = float(self.config.multiplier)
        for (u, e), g in ref.groupby(["underlying", "expiry"], sort=True):
            k = g["strike"].to_numpy(dtype=np.float64)
            oi = g["open_interest"].to_numpy(dtype=np.float64)
            is_call = g["right"].to_numpy() > 0
            cand = np.unique(k)
            diff = cand[:, None] - k[None, :]  # P - K
            intrinsic = np.where(is_call[None, :], np.maximum(diff, 0.0),
                                 np.maximum(-diff, 0.0))
            pain = (intrinsic * oi[None, :]).sum(axis=1) * mult
            j = int(np.argmin(pain))
            rows.append((str(u), np.datetime64(int(cast(int, e)), "D"), float(cand[j]),
                         float(pain[j])))
        return pd.DataFrame(rows, columns=cols)

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state: per-contract inventory, spots, chain IVs, reference."""
        n = self._n
        ref = None
        if self._ref is not None:
            ref = {c: self._ref[c].tolist() for c in self._ref.columns}
        mid = self._a["mid"][:n]
        return {
            "now": self._now, "keys": list(self._keylist), "underlying": list(self._under),
            **{k: v[:n].tolist() for k, v in self._a.items() if k != "mid"},
            "mid": [None if not math.isfinite(x) else x for x in mid.tolist()],
            "spot": {u: [t, s] for u, (t, s) in self._spot.items()},
            "chain_iv": [[k, v] for k, v in self._chain_iv.items()], "reference": ref,
        }

    @classmethod
    def restore(cls, state: dict[str, Any], config: PositioningConfig | None = None
                ) -> PositioningModel:
        """A model continuing from :meth:`snapshot` ``state``."""
        m = cls(config)
        m._now = int(state["now"])
        keys = [int(k) for k in state["keys"]]
        m._keylist = keys
        karr = np.asarray(keys, dtype=np.int64)
        order = np.argsort(karr, kind="stable")
        m._sorted, m._sorted_slot = karr[order], order.astype(np.int64)
        m._under = [str(u) for u in state["underlying"]]
        m._n = len(keys)
        for k, t in _NUM.items():
            vals = state[k]
            if k == "mid":
                vals = [math.nan if x is None else x for x in vals]
            arr = np.asarray(vals, dtype=t).reshape(-1)
            if arr.size != m._n:
                raise ValueError(f"positioning state: {k} has {arr.size} rows, not {m._n}")
            m._a[k] = arr.copy() if arr.size else np.zeros(16, dtype=t)
        if m._n == 0:
            m._a["mid"][:] = np.nan
        m._spot = {str(u): (int(v[0]), float(v[1])) for u, v in state["spot"].items()}
        m._chain_iv = {int(k): float(v) for k, v in state["chain_iv"]}
        if state["reference"] is not None:
            r = state["reference"]
            m._ref = pd.DataFrame({
                "underlying": np.asarray(r["underlying"], dtype=str),
                "expiry": np.asarray(r["expiry"], dtype=np.int64),
                "strike": np.asarray(r["strike"], dtype=np.float64),
                "right": np.asarray(r["right"], dtype=np.int8),
                "open_interest": np.asarray(r["open_interest"], dtype=np.int64)})
        return m
