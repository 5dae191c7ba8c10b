"""Levels read off an exposure: walls, key gamma strike, max pain, pin risk, regime, hedge flow.

- **Call wall**: the strike at or above spot, within ``wall_range`` (15 %), with the largest
  call gamma exposure in magnitude; **put wall**: the same below or at spot for puts. Under the
  classic convention that is the max call GEX and the min (most negative) put GEX.
- **Key gamma strike**: the strike with the largest net exposure in magnitude.
- **Max pain** per expiry: the settlement price among that expiry's strikes at which option
  holders' total intrinsic value ``sum OI_call (P - K)+ + OI_put (K - P)+`` is least (the lowest
  such strike on a tie); it uses every row with open interest, whatever its IV.
- **Pin risk** per expiry, a score in [0, 100] for the strike most likely to pin:
  ``100 * concentration * proximity * time`` with

  - ``concentration = 1 - exp(-(OI_K / mean OI - 1))`` (0 for a strike at or below the mean
    open interest of the strikes within one expected move of spot, 0.63 at twice the mean,
    0.95 at four times);
  - ``proximity = max(0, 1 - |K - S| / move)``, ``move = S * iv * sqrt(T)`` the one-sigma move
    to expiry (iv: the open-interest weighted IV of the expiry's rows within 5 % of spot;
    at least 0.5 % of spot);
  - ``time = 1 / (1 + business days left)`` (1 on expiry day).
- **Regime**: ``positive`` (dealers long gamma: their hedging damps moves) when the net GEX is
  above ``neutral_share`` (5 %) of gross, ``negative`` below minus that, else ``neutral``.
- **Dealer hedge flow** for a +1 % move: dealers long gamma sell what their delta gained,
  ``-sum w * gamma * 100 * S * 0.01`` shares (times ``S`` in dollars); negative means selling.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from optix.gex.exposure import Exposure

__all__ = ["Levels", "PinRisk", "levels", "max_pain"]


@dataclass(frozen=True, slots=True)
class PinRisk:
    """Pin risk of one expiry (see the module docstring)."""

    expiry: str
    strike: float | None
    score: float
    business_days: int
    open_interest: int


@dataclass(frozen=True, slots=True)
class Levels:
    """Levels of one exposure (module docstring)."""

    call_wall: float | None
    put_wall: float | None
    key_gamma_strike: float | None
    max_pain: dict[str, float]
    pin_risk: tuple[PinRisk, ...]
    regime: str
    hedge_flow_shares_up_1pct: float
    hedge_flow_usd_up_1pct: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"call_wall": self.call_wall, "put_wall": self.put_wall,
                "key_gamma_strike": self.key_gamma_strike, "max_pain": dict(self.max_pain),
                "pin_risk": [asdict(p) for p in self.pin_risk], "regime": self.regime,
                "hedge_flow_shares_up_1pct": self.hedge_flow_shares_up_1pct,
                "hedge_flow_usd_up_1pct": self.hedge_flow_usd_up_1pct}


def max_pain(strike: np.ndarray[Any, Any], right: np.ndarray[Any, Any],
             open_interest: np.ndarray[Any, Any]) -> float | None:
    """Max-pain settlement price of one expiry's rows (module docstring); None if no OI."""
    k = np.asarray(strike, dtype=np.float64)
    oi = np.asarray(open_interest, dtype=np.float64)
    if k.size == 0 or oi.sum() <= 0:
        return None
    cands = np.unique(k)
    call = np.asarray(right) > 0
    # payout(P) = sum_calls oi (P-K)+ + sum_puts oi (K-P)+, by sorted prefix sums
    kc, oc = k[call], oi[call]
    kp, op = k[~call], oi[~call]
    oc_s, kc_s = _prefix(kc, oc)
    op_s, kp_s = _prefix(kp, op)
    ic = np.searchsorted(np.sort(kc), cands, side="right")  # calls with K <= P
    ip = np.searchsorted(np.sort(kp), cands, side="left")  # puts with K < P
    call_pay = cands * oc_s[ic] - kc_s[ic]
    put_pay = (kp_s[-1] - kp_s[ip]) - cands * (op_s[-1] - op_s[ip])
    pay = call_pay + put_pay
    return float(cands[int(np.argmin(pay))])


def _prefix(k: np.ndarray[Any, Any], oi: np.ndarray[Any, Any]
            ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    order = np.argsort(k, kind="stable")
    return (np.r_[0.0, np.cumsum(oi[order])], np.r_[0.0, np.cumsum(oi[order] * k[order])])


def _pin(exp: Exposure, expiry: np.datetime64, rows: pd.DataFrame) -> PinRisk:
    s = exp.spot
    here = exp.expiry == expiry
    near = here & (np.abs(exp.strike - s) <= 0.05 * s) & ~np.isnan(exp.iv)
    w = exp.open_interest[near].astype(np.float64)
    iv = float(np.average(exp.iv[near], weights=w)) if near.any() and w.sum() > 0 else (
        float(np.nanmedian(exp.iv[here])) if (here & ~np.isnan(exp.iv)).any() else 0.0)
    if here.any():
        t, bdays = float(exp.t[here][0]), int(exp.bdays[here][0])
    else:  # open interest but no counted row (no gamma): time from the dates alone
        today = np.datetime64(pd.Timestamp(exp.as_of_ns, unit="ns", tz="UTC").tz_convert(
            "America/New_York").date(), "D")
        bdays = int(np.busday_count(today, expiry))
        t = max(bdays / 262.0, exp.config.min_t)
    move = max(s * iv * math.sqrt(max(t, 0.0)), 0.005 * s)
    per = rows.groupby("strike")["open_interest"].sum()
    local = per[(per.index >= s - move) & (per.index <= s + move)]
    label = str(expiry)[:10]
    if local.empty or local.sum() <= 0:
        return PinRisk(label, None, 0.0, bdays, 0)
    mean = float(local.mean())
    k = local.index.to_numpy(dtype=np.float64)
    oi = local.to_numpy(dtype=np.float64)
    conc = np.where(oi > mean, 1.0 - np.exp(-(oi / mean - 1.0)), 0.0)
    prox = np.maximum(0.0, 1.0 - np.abs(k - s) / move)
    score = 100.0 * conc * prox / (1.0 + bdays)
    j = int(np.argmax(score))
    return PinRisk(label, float(k[j]), float(score[j]), bdays, int(oi[j]))


def levels(exp: Exposure) -> Levels:
    """Walls, key gamma strike, max pain and pin risk per expiry, regime and hedge flow.

    Parameters
    ----------
    exp : Exposure
        From :func:`~optix.gex.exposure.prepare`.

    Returns
    -------
    Levels
    """
    cfg = exp.config
    s = exp.spot
    bs = exp.by_strike()
    k = bs["strike"].to_numpy()
    within = np.abs(k - s) <= cfg.wall_range * s

    def wall(mask: np.ndarray[Any, Any], col: str) -> float | None:
        m = mask & within & (bs[col].to_numpy() != 0)
        if not m.any():
            return None
        vals = np.abs(bs[col].to_numpy()[m])
        return float(k[m][int(np.argmax(vals))])

    net = np.abs(bs["net_gex"].to_numpy())
    key = float(k[int(np.argmax(net))]) if net.size and net.max() > 0 else None
    pains: dict[str, float] = {}
    pins: list[PinRisk] = []
    oi = exp.chain_oi
    expiries = oi["expiry"].to_numpy().astype("datetime64[D]")
    for e in np.unique(expiries):
        rows = oi[expiries == e]
        mp = max_pain(rows["strike"].to_numpy(), rows["right"].to_numpy(),
                      rows["open_interest"].to_numpy())
        if mp is not None:
            pains[str(e)] = mp
        pins.append(_pin(exp, e, rows))
    tot = exp.totals()
    gross = tot["gross_gex"]
    if gross > 0 and tot["total_gex"] > cfg.neutral_share * gross:
        regime = "positive"
    elif gross > 0 and tot["total_gex"] < -cfg.neutral_share * gross:
        regime = "negative"
    else:
        regime = "neutral"
    shares = -float((exp.weight * exp.gamma).sum()) * 100.0 * s * 0.01
    return Levels(call_wall=wall(k >= s, "call_gex"), put_wall=wall(k <= s, "put_gex"),
                  key_gamma_strike=key, max_pain=pains, pin_risk=tuple(pins), regime=regime,
                  hedge_flow_shares_up_1pct=shares, hedge_flow_usd_up_1pct=shares * s)
