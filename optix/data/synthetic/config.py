"""Configuration of the synthetic market and of the rules its planted events straddle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["PlantingRules", "SyntheticConfig"]


@dataclass(frozen=True, slots=True)
class PlantingRules:
    """The detector thresholds that planted events satisfy and decoys miss by a hair.

    Defaults are the flow engine's default thresholds. Background (unplanted) flow is kept
    strictly inside every rule: each background print is under ``background_max_premium``
    (below the sweep leg and block premiums), no contract gets ``repeat_min_hits`` background
    prints within ``repeat_window_s``, background day volume stays well under open interest,
    and background off-exchange equity prints are under the dark-pool size and notional. So
    the labels are the complete ground truth for these rules.

    Attributes
    ----------
    sweep_min_legs, sweep_min_venues : int
        A sweep is at least this many prints of one contract on at least this many venues.
    sweep_window_s : float
        ... within this many seconds.
    sweep_min_leg_premium : float
        Each leg at least this premium in dollars (splits share the leg and window rules).
    block_min_size : int
        A block is one print of at least this many contracts ...
    block_min_premium : float
        ... and at least this premium.
    repeat_min_hits : int
        Repeated hits: at least this many prints of one contract (the rule "> 5") ...
    repeat_window_s : float
        ... within this window ...
    repeat_min_premium : float
        ... totalling at least this premium.
    unusual_min_oi_ratio : float
        Unusual volume: day volume above this multiple of open interest ...
    unusual_min_avg_multiple : float
        ... and at least this multiple of the trailing average daily volume.
    dark_min_shares : int
        Dark-pool print: an off-exchange (TRF) equity print of at least this many shares ...
    dark_min_notional : float
        ... and at least this notional in dollars.
    spread_window_s : float
        Legs of a multi-leg spread print within this many seconds of each other.
    background_max_premium : float
        Ceiling on the premium of any background option print.
    """

    sweep_min_legs: int = 4
    sweep_min_venues: int = 2
    sweep_window_s: float = 2.0
    sweep_min_leg_premium: float = 10_000.0
    block_min_size: int = 100
    block_min_premium: float = 100_000.0
    repeat_min_hits: int = 6
    repeat_window_s: float = 0.1
    repeat_min_premium: float = 25_000.0
    unusual_min_oi_ratio: float = 1.0
    unusual_min_avg_multiple: float = 5.0
    dark_min_shares: int = 10_000
    dark_min_notional: float = 1_000_000.0
    spread_window_s: float = 1.0
    background_max_premium: float = 5_000.0

    def __post_init__(self) -> None:
        if self.sweep_min_legs < 2 or self.sweep_min_venues < 2:
            raise ValueError("sweep_min_legs and sweep_min_venues must be at least 2")
        if self.repeat_min_hits <= self.sweep_min_legs + 1:
            raise ValueError(
                "repeat_min_hits must exceed sweep_min_legs + 1 so that planted sweeps "
                "(sweep_min_legs .. sweep_min_legs + 1 legs) are never repeated hits"
            )
        if not 0 < self.background_max_premium < min(self.sweep_min_leg_premium,
                                                     self.block_min_premium):
            raise ValueError(
                "background_max_premium must be positive and below the sweep leg and "
                "block premiums, or background prints would trip the rules unlabeled"
            )
        for name in ("sweep_window_s", "repeat_window_s", "spread_window_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True, slots=True)
class SyntheticConfig:
    """One simulated market.

    Attributes
    ----------
    n_symbols : int
        Underlyings in the universe (1 to 10,000; the best-known tickers come first).
    seed : int
        Everything (universe, paths, tape, planted events) is a function of the seed.
    start : date or None
        First simulated session; None means the last NYSE session on or before today.
    days : int
        Sessions to simulate.
    option_trades_per_day : int or None
        Expected option prints per session across the universe (planted ones excluded);
        None means 10,000 per symbol.
    equity_prints_per_option_trade : float
        Equity prints generated per option print.
    off_exchange_share : float
        Share of equity prints reported off-exchange (to a FINRA TRF).
    planted_per_day : int
        Planted events (true positives and decoys together) per session.
    decoy_share : float
        Fraction of planted events that are decoys.
    block_seconds : float
        Market time generated at once (larger is faster; batches are cut from it).
    batch_seconds : float
        Market time per emitted batch.
    chain_every_s : float or None
        Emit option-chain snapshots of every symbol this often (None: never).
    chain_symbols : int
        Only the busiest this many symbols get chain snapshots (they are large).
    rate : float
        Risk-free rate used for theoretical values.
    rules : PlantingRules
        Thresholds the planted events satisfy and the decoys miss.
    """

    n_symbols: int = 500
    seed: int = 7
    start: dt.date | None = None
    days: int = 1
    option_trades_per_day: int | None = None
    equity_prints_per_option_trade: float = 1.0
    off_exchange_share: float = 0.4
    planted_per_day: int = 2_000
    decoy_share: float = 0.4
    block_seconds: float = 60.0
    batch_seconds: float = 1.0
    chain_every_s: float | None = 300.0
    chain_symbols: int = 20
    rate: float = 0.04
    rules: PlantingRules = field(default_factory=PlantingRules)

    def __post_init__(self) -> None:
        if not 1 <= self.n_symbols <= 10_000:
            raise ValueError(f"n_symbols must be 1..10,000, got {self.n_symbols}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.option_trades_per_day is not None and self.option_trades_per_day < 0:
            raise ValueError("option_trades_per_day must be non-negative")
        if not 0 <= self.off_exchange_share <= 1 or not 0 <= self.decoy_share <= 1:
            raise ValueError("off_exchange_share and decoy_share must be in [0, 1]")
        if self.equity_prints_per_option_trade < 0 or self.planted_per_day < 0:
            raise ValueError("equity_prints_per_option_trade and planted_per_day must be >= 0")
        if not 0 < self.batch_seconds <= self.block_seconds:
            raise ValueError("need 0 < batch_seconds <= block_seconds")
        if self.block_seconds > 3600:
            raise ValueError("block_seconds must be at most 3600")
        if self.chain_every_s is not None and self.chain_every_s < self.block_seconds:
            raise ValueError("chain_every_s must be at least block_seconds")

    @property
    def trades_per_day(self) -> int:
        """Expected background option prints per session."""
        if self.option_trades_per_day is None:
            return 10_000 * self.n_symbols
        return self.option_trades_per_day
