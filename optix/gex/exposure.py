"""Dealer gamma, delta, vanna and charm exposure per contract, by strike and by expiry.

:func:`prepare` applies the conventions of a :class:`~optix.gex.config.GexConfig` to a chain
snapshot: which rows count (expiry window, 0DTE and settled policies, rows with missing open
interest or implied vol skipped and counted), years to expiry, each contract's signed weight and
its Greeks at spot. :class:`Exposure` holds the result per contract; :meth:`Exposure.by_strike`
and :meth:`Exposure.by_expiry` sum it.

Units (``w`` is the dealers' signed contracts: ``+OI`` for calls and ``-OI`` for puts under the
classic convention, the mirror under the inverse one, the estimated inventory under
``flow_inventory``; ``S`` is spot; 100 shares per contract):

=====  =========================================  ============================================
name   definition                                 unit (``shares`` unit: drop the ``S``)
=====  =========================================  ============================================
gex    ``w * gamma * 100 * S**2 * 0.01``          $ of underlying per 1 % move (``usd_per_1pct``)
       ``w * gamma * 100 * S``                    $ per 1 point move (``usd_per_point``)
       ``w * gamma * 100``                        shares per 1 point move (``shares``)
dex    ``w * delta * 100 * S``                    $ of underlying the dealers hold (delta
                                                  notional)
vex    ``w * vanna * 100 * S * 0.01``             $ change of dealer delta per +1 vol point
cex    ``w * charm * 100 * S / days_per_year``    $ change of dealer delta per day passing
                                                  (charm as ``-d delta / dT``; 262 business
                                                  or 365 calendar days, by the time basis)
=====  =========================================  ============================================

A positive ``gex`` means dealers are long gamma there: they sell into rallies and buy dips.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optix.core.arrays import DateArray, FloatArray, Int64Array
from optix.core.chains import ChainSnapshot
from optix.gex.config import (
    ExpiryWindow,
    GammaSource,
    GexConfig,
    GexUnit,
    SettledPolicy,
    SignConvention,
    TimeBasis,
    ZeroDtePolicy,
)
from optix.gex.errors import GexInputError
from optix.quant import bsm_greeks

__all__ = ["DealerInventory", "Exposure", "prepare", "unit_factor"]

_NS_DAY = 86_400 * 10**9
_CLOSE_NS = 16 * 3600 * 10**9  # 16:00 New York, after midnight local


def unit_factor(unit: GexUnit, spot: float | FloatArray) -> float | FloatArray:
    """What ``gamma * contracts * 100`` is multiplied by for ``unit`` at ``spot``."""
    if unit is GexUnit.USD_PER_1PCT:
        return spot * spot * 0.01
    if unit is GexUnit.USD_PER_POINT:
        return spot
    return spot * 0.0 + 1.0


@dataclass(frozen=True, slots=True)
class DealerInventory:
    """Dealers' own signed contracts per contract (for ``flow_inventory``).

    Attributes
    ----------
    expiry : ndarray of datetime64[D]
    strike : ndarray of float64
    right : ndarray of int8
    contracts : ndarray of float64
        Dealer contracts, + long, - short (customers bought: dealers short).
    """

    expiry: DateArray
    strike: FloatArray
    right: np.ndarray[Any, np.dtype[np.int8]]
    contracts: FloatArray

    @classmethod
    def from_positions(cls, positions: pd.DataFrame, underlying: str | None = None
                       ) -> DealerInventory:
        """From :meth:`optix.flow.positioning.PositioningModel.positions` (``dealer_contracts``).

        Parameters
        ----------
        positions : pandas.DataFrame
            Columns ``underlying, expiry, strike, right, dealer_contracts``.
        underlying : str, optional
            Keep only this underlying's rows.
        """
        df = positions
        if underlying is not None and "underlying" in df:
            df = df[df["underlying"] == underlying]
        return cls(expiry=np.asarray(df["expiry"], dtype="datetime64[D]"),
                   strike=np.asarray(df["strike"], dtype=np.float64),
                   right=np.asarray(df["right"], dtype=np.int8),
                   contracts=np.asarray(df["dealer_contracts"], dtype=np.float64))

    def lookup(self, expiry: DateArray, strike: FloatArray, right: np.ndarray[Any, Any]
               ) -> FloatArray:
        """Dealer contracts of each given contract, 0 where the inventory has none."""
        table = pd.Series(self.contracts, index=pd.MultiIndex.from_arrays(
            [self.expiry.astype("datetime64[D]").astype(np.int64),
             np.rint(self.strike * 1000).astype(np.int64), self.right.astype(np.int64)]))
        table = table.groupby(level=[0, 1, 2]).sum()
        idx = pd.MultiIndex.from_arrays([expiry.astype("datetime64[D]").astype(np.int64),
                                         np.rint(strike * 1000).astype(np.int64),
                                         right.astype(np.int64)])
        return np.asarray(table.reindex(idx).fillna(0.0).to_numpy(), dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class Exposure:
    """Per-contract exposure of the rows that count (see the module docstring for units).

    Attributes
    ----------
    underlying : str
    spot : float
    as_of_ns : int
    config : GexConfig
    expiry, strike, right : ndarray
        The counted contracts.
    open_interest : ndarray of int64
    weight : ndarray of float64
        Dealers' signed contracts ``w``.
    iv : ndarray of float64
        Implied vol (NaN where the chain gives none: such rows have vendor gamma only).
    t : ndarray of float64
        Years to expiry after the 0DTE floor.
    bdays : ndarray of int64
        Business days to expiry.
    gamma, delta, vanna, charm : ndarray of float64
        Per-contract Greeks at spot (vanna and charm 0 where no IV).
    gex, dex, vex, cex : ndarray of float64
        Exposures.
    skipped : collections.Counter
        Rows left out, by reason: ``missing_oi``, ``no_gamma`` (neither vendor gamma nor an
        IV to compute it), ``no_iv`` (counted in the totals from vendor gamma, but left out of
        the profile, vanna and charm), ``settled``, ``zero_dte``, ``outside_window``.
    chain_oi : pandas.DataFrame
        Every row with a valid open interest of the live expiries (``expiry, strike, right,
        open_interest``), whatever its IV: max pain and pin risk need the whole chain.
    """

    underlying: str
    spot: float
    as_of_ns: int
    config: GexConfig
    expiry: DateArray
    strike: FloatArray
    right: np.ndarray[Any, np.dtype[np.int8]]
    open_interest: Int64Array
    weight: FloatArray
    iv: FloatArray
    t: FloatArray
    bdays: Int64Array
    gamma: FloatArray
    delta: FloatArray
    vanna: FloatArray
    charm: FloatArray
    gex: FloatArray
    dex: FloatArray
    vex: FloatArray
    cex: FloatArray
    skipped: Counter[str] = field(default_factory=Counter)
    chain_oi: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __len__(self) -> int:
        return int(self.strike.size)

    @property
    def calls(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Mask of the call rows."""
        return np.asarray(self.right > 0)

    def totals(self) -> dict[str, float]:
        """``total_gex, call_gex, put_gex, total_dex, total_vex, total_cex`` and gross GEX."""
        c = self.calls
        return {"total_gex": float(self.gex.sum()), "call_gex": float(self.gex[c].sum()),
                "put_gex": float(self.gex[~c].sum()), "gross_gex": float(np.abs(self.gex).sum()),
                "total_dex": float(self.dex.sum()), "total_vex": float(self.vex.sum()),
                "total_cex": float(self.cex.sum())}

    def _group(self, keys: list[str]) -> pd.DataFrame:
        c = self.calls
        df = pd.DataFrame({
            "expiry": self.expiry, "strike": self.strike,
            "call_gex": np.where(c, self.gex, 0.0), "put_gex": np.where(c, 0.0, self.gex),
            "net_gex": self.gex, "dex": self.dex, "vex": self.vex, "cex": self.cex,
            "call_oi": np.where(c, self.open_interest, 0),
            "put_oi": np.where(c, 0, self.open_interest)})
        out = df.groupby(keys, sort=True).sum(numeric_only=True).reset_index()
        return out

    def by_strike(self) -> pd.DataFrame:
        """Per strike, all counted expiries summed.

        Columns ``strike, call_gex, put_gex, net_gex, dex, vex, cex, call_oi, put_oi``,
        ascending strike.
        """
        return self._group(["strike"])

    def by_expiry(self) -> pd.DataFrame:
        """Per expiry: the same columns keyed by ``expiry``."""
        return self._group(["expiry"])

    def by_strike_expiry(self) -> pd.DataFrame:
        """Per (expiry, strike): the same columns; the strike x expiry heatmap's cells."""
        return self._group(["expiry", "strike"])


def _years(chain: ChainSnapshot, basis: TimeBasis) -> tuple[FloatArray, Int64Array,
                                                             np.ndarray[Any, Any]]:
    """Years and business days to expiry, and whether each row is already settled."""
    today = chain.as_of_date.astype("datetime64[D]")
    bdays = np.busday_count(today, chain.expiry).astype(np.int64)
    local_ns = int(pd.Timestamp(chain.as_of_ns, unit="ns", tz="UTC").tz_convert(
        "America/New_York").tz_localize(None).value)
    close_today = int(today.astype("datetime64[ns]").astype(np.int64)) + _CLOSE_NS
    settled = (chain.expiry < today) | ((chain.expiry == today) & (local_ns >= close_today))
    if basis is TimeBasis.BUSINESS_262:
        t = bdays / 262.0
    else:
        close_local = chain.expiry.astype("datetime64[ns]").astype(np.int64) + _CLOSE_NS
        t = (close_local - local_ns) / (365.0 * _NS_DAY)
    return np.asarray(t, dtype=np.float64), bdays, np.asarray(settled)


def _monthly(expiry: DateArray) -> np.ndarray[Any, Any]:
    """Standard monthly expiries: the third Friday, or the session before it on a holiday."""
    from optix.data.calendar import last_session  # exchange calendar, loaded once

    out = np.zeros(expiry.size, dtype=bool)
    for e in np.unique(expiry).tolist():
        first = dt.date(e.year, e.month, 1)
        friday = first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)
        if e in (friday, last_session(friday)):
            out[expiry == np.datetime64(e, "D")] = True
    return out


def _window(expiry: DateArray, live: np.ndarray[Any, Any], today: np.datetime64,
            window: ExpiryWindow) -> np.ndarray[Any, Any]:
    if window.kind == "all" or not live.any():
        return np.ones(expiry.size, dtype=bool)
    if window.kind == "max_days":
        return np.asarray((expiry - today).astype(np.int64) <= (window.days or 0))
    if window.kind == "ex_nearest":
        return np.asarray(expiry != expiry[live].min())
    monthly = _monthly(expiry) & live
    if not monthly.any():
        return np.ones(expiry.size, dtype=bool)
    return np.asarray(expiry != expiry[monthly].min())


def prepare(chain: ChainSnapshot, config: GexConfig | None = None,
            inventory: DealerInventory | None = None) -> Exposure:
    """Apply ``config``'s conventions to ``chain`` and compute each contract's exposure.

    Parameters
    ----------
    chain : ChainSnapshot
        A validated snapshot (:meth:`ChainSnapshot.validate`) with open interest.
    config : GexConfig, optional
        Conventions (default: the classic recipe).
    inventory : DealerInventory, optional
        Dealer inventory; required by ``flow_inventory``.

    Returns
    -------
    Exposure

    Raises
    ------
    GexInputError
        If ``flow_inventory`` has no inventory, or no row has a usable gamma (the message
        counts why, rather than reporting zeros).
    """
    cfg = config or GexConfig()
    if cfg.sign is SignConvention.FLOW and inventory is None:
        raise GexInputError("the flow_inventory convention needs a dealer inventory (from the "
                            "flow engine's positioning model)")
    skipped: Counter[str] = Counter()
    spot = float(chain.spot)
    t, bdays, settled = _years(chain, cfg.time_basis)
    today = chain.as_of_date.astype("datetime64[D]")
    oi_ok = chain.open_interest >= 0
    skipped["missing_oi"] = int((~oi_ok).sum())
    keep = oi_ok.copy()
    if cfg.settled is SettledPolicy.EXCLUDE:
        skipped["settled"] = int((keep & settled).sum())
        keep &= ~settled
    zero = ~settled & (chain.expiry == today)  # a Monday expiry seen on Saturday is not 0DTE
    if cfg.zero_dte is ZeroDtePolicy.EXCLUDE:
        skipped["zero_dte"] = int((keep & zero).sum())
        keep &= ~zero
    live = keep & ~settled
    in_window = _window(chain.expiry, live, today, cfg.expiry_window)
    skipped["outside_window"] = int((keep & ~in_window).sum())
    keep &= in_window
    chain_oi = pd.DataFrame({"expiry": chain.expiry[keep], "strike": chain.strike[keep],
                             "right": chain.right[keep],
                             "open_interest": chain.open_interest[keep]})
    t = np.maximum(np.where(np.isfinite(t), t, 0.0), cfg.min_t)
    iv = np.where(np.isfinite(chain.iv) & (chain.iv > 0), chain.iv, np.nan)
    vendor_g = chain.gamma if chain.gamma is not None else np.full(len(chain), np.nan)
    vendor_d = chain.delta if chain.delta is not None else np.full(len(chain), np.nan)
    has_iv = ~np.isnan(iv)
    use_vendor = (np.isfinite(vendor_g) if cfg.gamma_source is not GammaSource.MODEL
                  else np.zeros(len(chain), dtype=bool))
    usable = use_vendor if cfg.gamma_source is GammaSource.VENDOR else use_vendor | has_iv
    skipped["no_gamma"] = int((keep & ~usable).sum())
    keep &= usable
    skipped["no_iv"] = int((keep & ~has_iv).sum())
    if not keep.any():
        why = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(skipped.items()) if n)
        raise GexInputError(f"{chain.underlying}: no contract has a usable gamma "
                            f"({why or 'empty chain'})")
    rows = np.flatnonzero(keep)
    k, right, oi = chain.strike[rows], chain.right[rows], chain.open_interest[rows]
    iv_r, t_r = iv[rows], t[rows]
    model = np.flatnonzero(has_iv[rows])
    gamma = np.zeros(rows.size)
    delta = np.zeros(rows.size)
    vanna = np.zeros(rows.size)
    charm = np.zeros(rows.size)
    if model.size:
        g = bsm_greeks(spot, k[model], t_r[model], cfg.r, cfg.q, iv_r[model], right[model],
                       order=2)
        gamma[model], delta[model] = g.gamma, g.delta
        vanna[model], charm[model] = g.vanna, g.charm
    vend = use_vendor[rows]
    gamma = np.where(vend, vendor_g[rows], gamma)
    vd = vend & np.isfinite(vendor_d[rows])
    delta = np.where(vd, vendor_d[rows], delta)
    if cfg.sign is SignConvention.FLOW:
        assert inventory is not None
        weight = inventory.lookup(chain.expiry[rows], k, right)
    else:
        sgn = np.where(right > 0, 1.0, -1.0)
        weight = oi.astype(np.float64) * (sgn if cfg.sign is SignConvention.CLASSIC else -sgn)
    usd = cfg.unit is not GexUnit.SHARES
    s_mult = spot if usd else 1.0
    days_per_year = 262.0 if cfg.time_basis is TimeBasis.BUSINESS_262 else 365.0
    return Exposure(
        underlying=chain.underlying, spot=spot, as_of_ns=int(chain.as_of_ns), config=cfg,
        expiry=chain.expiry[rows], strike=k, right=right, open_interest=oi,
        weight=np.asarray(weight, dtype=np.float64), iv=iv_r, t=t_r, bdays=bdays[rows],
        gamma=gamma, delta=delta, vanna=vanna, charm=charm,
        gex=weight * gamma * 100.0 * unit_factor(cfg.unit, spot),
        dex=weight * delta * 100.0 * s_mult,
        vex=weight * vanna * 100.0 * s_mult * 0.01,
        cex=weight * charm * 100.0 * s_mult / days_per_year,
        skipped=+skipped, chain_oi=chain_oi)
