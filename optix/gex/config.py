"""Conventions and thresholds of the GEX engine: one frozen, validated config.

Every choice that changes a published GEX number is a field here, so a result can always say how
it was computed (:meth:`GexConfig.as_params` is stored with every snapshot).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "ExpiryWindow",
    "FlipRule",
    "GammaSource",
    "GexAlertConfig",
    "GexConfig",
    "GexUnit",
    "SettledPolicy",
    "SignConvention",
    "Sticky",
    "TimeBasis",
    "ZeroDtePolicy",
]


class GexUnit(StrEnum):
    """Unit of gamma exposure (``G`` is gamma, ``OI`` open interest, ``S`` spot).

    - ``usd_per_1pct``: ``G * OI * 100 * S**2 * 0.01``, dollars of underlying dealers trade for a
      1 % move (the public SpotGamma-style unit);
    - ``usd_per_point``: ``G * OI * 100 * S``, dollars per 1 point (1 unit of price) move;
    - ``shares``: ``G * OI * 100``, shares per 1 point move.
    """

    USD_PER_1PCT = "usd_per_1pct"
    USD_PER_POINT = "usd_per_point"
    SHARES = "shares"


class SignConvention(StrEnum):
    """Whose gamma is counted, and with which sign.

    - ``dealer_long_calls_short_puts``: the classic public recipe (customers sell calls and buy
      puts): call exposure +, put exposure -;
    - ``dealer_short_calls_long_puts``: the mirror: call -, put +;
    - ``flow_inventory``: dealer inventory estimated from signed flow (the flow engine's
      positioning model): each contract weighted by the dealers' own signed contracts in place
      of open interest.
    """

    CLASSIC = "dealer_long_calls_short_puts"
    INVERSE = "dealer_short_calls_long_puts"
    FLOW = "flow_inventory"


class GammaSource(StrEnum):
    """Where a contract's gamma (and delta) at the current spot comes from.

    - ``vendor``: the chain's own Greeks (e.g. CBOE's), rows without them count as unusable;
    - ``model``: BSM from the chain's implied vol with the config's ``r``, ``q`` and time basis;
    - ``auto``: vendor where the chain gives a finite value, else model.

    Profiles over hypothetical spots always recompute gamma from implied vol.
    """

    VENDOR = "vendor"
    MODEL = "model"
    AUTO = "auto"


class TimeBasis(StrEnum):
    """Years to expiry.

    - ``business_262``: ``numpy.busday_count(as-of date, expiry) / 262`` (the public recipe);
    - ``act_365``: calendar time from the snapshot to 16:00 New York on the expiry, / 365 days.
    """

    BUSINESS_262 = "business_262"
    ACT_365 = "act_365"


class ZeroDtePolicy(StrEnum):
    """Contracts expiring on the snapshot's own day (before the close).

    - ``floor``: keep them, with ``T`` raised to ``GexConfig.min_t`` (1/262: one business day);
    - ``exclude``: leave them out of every number (counted in ``skipped``).
    """

    FLOOR = "floor"
    EXCLUDE = "exclude"


class SettledPolicy(StrEnum):
    """Contracts already settled at the snapshot (expiry before its date, or its date after 16:00).

    - ``exclude``: left out and counted (their vendor gamma is 0 anyway);
    - ``floor``: treated like 0DTE (``T = min_t``), for a chain dated after the close whose
      settled rows are still wanted.
    """

    EXCLUDE = "exclude"
    FLOOR = "floor"


class FlipRule(StrEnum):
    """Which zero crossing of the profile is *the* flip: the lowest, or the nearest to spot."""

    FIRST = "first"
    NEAREST = "nearest"


class Sticky(StrEnum):
    """How implied vol moves with hypothetical spot in the profile.

    - ``strike``: each contract keeps its own IV;
    - ``moneyness``: the smile moves with spot: at spot ``L`` a contract of strike ``K`` takes
      the IV its expiry's smile has today at strike ``K * S / L``.
    """

    STRIKE = "strike"
    MONEYNESS = "moneyness"


@dataclass(frozen=True, slots=True)
class ExpiryWindow:
    """Which expiries count.

    Attributes
    ----------
    kind : str
        ``'all'``; ``'max_days'`` (expiries at most ``days`` calendar days after the snapshot
        date); ``'ex_nearest'`` (all but the nearest live expiry); ``'ex_monthly'`` (all but the
        nearest standard monthly expiry, the third Friday, or the Thursday before it when that
        Friday is a holiday).
    days : int or None
        The ``max_days`` bound.
    """

    kind: str = "all"
    days: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("all", "max_days", "ex_nearest", "ex_monthly"):
            raise ValueError("expiry window kind must be 'all', 'max_days', 'ex_nearest' or "
                             f"'ex_monthly', got {self.kind!r}")
        if self.kind == "max_days" and (self.days is None or self.days < 0):
            raise ValueError(f"'max_days' needs days >= 0, got {self.days!r}")

    @classmethod
    def parse(cls, text: str) -> ExpiryWindow:
        """``'all'``, ``'ex_nearest'``, ``'ex_monthly'``, or ``'N'`` / ``'<=N'`` days."""
        t = text.strip().lower().replace(" ", "")
        if t in ("all", "ex_nearest", "ex_monthly"):
            return cls(t)
        digits = t.removeprefix("<=").removesuffix("d")
        if digits.isdigit():
            return cls("max_days", int(digits))
        raise ValueError(f"expiry window must be all, ex_nearest, ex_monthly or a number of "
                         f"days like '<=7', got {text!r}")

    def __str__(self) -> str:
        return f"<={self.days}d" if self.kind == "max_days" else self.kind


@dataclass(frozen=True, slots=True)
class GexAlertConfig:
    """Thresholds of the GEX alerts (see :mod:`optix.gex.alerts`).

    Attributes
    ----------
    flip_proximity_pct : float
        Spot within this many percent of the flip (1.0).
    concentration_share : float
        One strike holds at least this share of the gross gamma exposure (0.25).
    pin_score : float
        Pin-risk score at or above this (60) ...
    pin_days : int
        ... with at most this many business days left (1).
    destabilizing_share : float
        Negative-gamma regime with net exposure at least this share of gross (0.25).
    """

    flip_proximity_pct: float = 1.0
    concentration_share: float = 0.25
    pin_score: float = 60.0
    pin_days: int = 1
    destabilizing_share: float = 0.25

    def __post_init__(self) -> None:
        for name in ("flip_proximity_pct", "pin_score"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be positive and finite, got {v}")
        for name in ("concentration_share", "destabilizing_share"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {v}")
        if self.pin_days < 0:
            raise ValueError(f"pin_days must be >= 0, got {self.pin_days}")


@dataclass(frozen=True, slots=True)
class GexConfig:
    """Conventions of one GEX computation.

    The defaults are the classic public recipe, which reproduces the reference numbers of the
    shared SPY chain: $ per 1 % move, dealers long calls and short puts, vendor gamma for the
    totals, BSM gamma with ``r = q = 0`` and ``T`` = business days / 262 for the profile.

    Attributes
    ----------
    unit : GexUnit
        Gamma-exposure unit (``usd_per_1pct``).
    sign : SignConvention
        Sign convention (``dealer_long_calls_short_puts``).
    gamma_source : GammaSource
        Gamma at spot (``auto``: vendor where given, else model).
    r, q : float
        Rate and dividend yield for model Greeks (0, 0).
    time_basis : TimeBasis
        Years to expiry (``business_262``).
    min_t : float
        Floor of ``T`` for 0DTE (and floored settled) contracts (1/262).
    expiry_window : ExpiryWindow
        Which expiries count (all).
    zero_dte : ZeroDtePolicy
        0DTE contracts (``floor``).
    settled : SettledPolicy
        Settled contracts (``exclude``).
    levels : int
        Hypothetical spots in the profile (60).
    grid_lo, grid_hi : float
        Profile range as multiples of spot (0.8, 1.2).
    sticky : Sticky
        Vol dynamics in the profile (``strike``).
    flip_rule : FlipRule
        Which crossing is the flip (``first``).
    wall_range : float
        Walls are searched within this fraction of spot (0.15).
    neutral_share : float
        Regime is ``neutral`` when |net GEX| is below this share of gross GEX (0.05).
    alerts : GexAlertConfig
        Alert thresholds.
    """

    unit: GexUnit = GexUnit.USD_PER_1PCT
    sign: SignConvention = SignConvention.CLASSIC
    gamma_source: GammaSource = GammaSource.AUTO
    r: float = 0.0
    q: float = 0.0
    time_basis: TimeBasis = TimeBasis.BUSINESS_262
    min_t: float = 1.0 / 262.0
    expiry_window: ExpiryWindow = field(default_factory=ExpiryWindow)
    zero_dte: ZeroDtePolicy = ZeroDtePolicy.FLOOR
    settled: SettledPolicy = SettledPolicy.EXCLUDE
    levels: int = 60
    grid_lo: float = 0.8
    grid_hi: float = 1.2
    sticky: Sticky = Sticky.STRIKE
    flip_rule: FlipRule = FlipRule.FIRST
    wall_range: float = 0.15
    neutral_share: float = 0.05
    alerts: GexAlertConfig = field(default_factory=GexAlertConfig)

    def __post_init__(self) -> None:
        for name, enum in (("unit", GexUnit), ("sign", SignConvention),
                           ("gamma_source", GammaSource), ("time_basis", TimeBasis),
                           ("zero_dte", ZeroDtePolicy), ("settled", SettledPolicy),
                           ("sticky", Sticky), ("flip_rule", FlipRule)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                choices = ", ".join(e.value for e in enum)
                raise ValueError(f"{name} must be one of {choices}; got {value!r}") from None
        for name in ("r", "q"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite, got {getattr(self, name)}")
        if not (math.isfinite(self.min_t) and self.min_t > 0):
            raise ValueError(f"min_t must be positive, got {self.min_t}")
        if self.levels < 2:
            raise ValueError(f"levels must be at least 2, got {self.levels}")
        if not 0 < self.grid_lo < 1 < self.grid_hi or not math.isfinite(self.grid_hi):
            raise ValueError(f"need 0 < grid_lo < 1 < grid_hi, got {self.grid_lo}, "
                             f"{self.grid_hi}")
        if not 0 < self.wall_range <= 1:
            raise ValueError(f"wall_range must be in (0, 1], got {self.wall_range}")
        if not 0 <= self.neutral_share < 1:
            raise ValueError(f"neutral_share must be in [0, 1), got {self.neutral_share}")

    def as_params(self) -> dict[str, Any]:
        """The conventions as plain JSON values (stored with every snapshot)."""
        d = asdict(self)
        d["expiry_window"] = str(self.expiry_window)
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in d.items()}
