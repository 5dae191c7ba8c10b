"""The synthetic universe: tickers, price levels, volatilities and how busy each name is."""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from optix.core.arrays import BoolArray, FloatArray, StrArray

__all__ = ["Universe", "make_universe"]

# Busiest US option underlyings, roughly by option volume, with price, volatility and
# dividend yield at a plausible recent level. The rest of a universe is made-up tickers.
_KNOWN: tuple[tuple[str, float, float, float], ...] = (
    ("SPY", 600.0, 0.15, 0.012), ("QQQ", 520.0, 0.19, 0.006), ("TSLA", 350.0, 0.58, 0.0),
    ("NVDA", 180.0, 0.48, 0.0003), ("IWM", 220.0, 0.22, 0.011), ("AAPL", 230.0, 0.26, 0.004),
    ("AMZN", 220.0, 0.32, 0.0), ("META", 700.0, 0.36, 0.003), ("AMD", 160.0, 0.52, 0.0),
    ("PLTR", 150.0, 0.65, 0.0), ("MSFT", 500.0, 0.24, 0.007), ("GOOGL", 200.0, 0.30, 0.004),
    ("SMCI", 45.0, 0.80, 0.0), ("MSTR", 350.0, 0.85, 0.0), ("HOOD", 100.0, 0.70, 0.0),
    ("COIN", 300.0, 0.70, 0.0), ("AVGO", 300.0, 0.42, 0.008), ("NFLX", 1100.0, 0.34, 0.0),
    ("BAC", 48.0, 0.25, 0.022), ("SOFI", 22.0, 0.65, 0.0), ("MARA", 17.0, 0.85, 0.0),
    ("INTC", 24.0, 0.50, 0.0), ("F", 11.0, 0.35, 0.055), ("BABA", 120.0, 0.45, 0.009),
    ("GLD", 310.0, 0.16, 0.0), ("TLT", 90.0, 0.15, 0.042), ("XLF", 52.0, 0.18, 0.014),
    ("UBER", 90.0, 0.38, 0.0), ("JPM", 280.0, 0.24, 0.019), ("DIA", 440.0, 0.15, 0.015),
    ("NIO", 6.0, 0.75, 0.0), ("RIVN", 14.0, 0.70, 0.0), ("UNH", 300.0, 0.40, 0.028),
    ("BA", 210.0, 0.35, 0.0), ("XOM", 110.0, 0.25, 0.035), ("WMT", 100.0, 0.22, 0.009),
    ("DIS", 115.0, 0.28, 0.008), ("C", 90.0, 0.28, 0.025), ("PFE", 25.0, 0.25, 0.068),
    ("CVNA", 320.0, 0.75, 0.0), ("GME", 25.0, 0.80, 0.0), ("RBLX", 120.0, 0.55, 0.0),
    ("SNOW", 220.0, 0.50, 0.0), ("SHOP", 140.0, 0.55, 0.0), ("ORCL", 250.0, 0.45, 0.008),
    ("CRM", 250.0, 0.35, 0.006), ("ARM", 140.0, 0.65, 0.0), ("MU", 120.0, 0.55, 0.004),
    ("EEM", 48.0, 0.17, 0.025), ("HYG", 80.0, 0.07, 0.058),
)
_INDEX_LIKE = frozenset({"SPY", "QQQ", "IWM", "DIA", "GLD", "TLT", "XLF", "EEM", "HYG"})


@dataclass(frozen=True, slots=True)
class Universe:
    """Static facts of every underlying, one array element per symbol (rank order).

    Attributes
    ----------
    ticker : ndarray of str
    spot : ndarray of float64
        Price at the start of the simulation.
    vol : ndarray of float64
        Long-run volatility (decimal per year).
    div_yield : ndarray of float64
        Continuous dividend yield.
    activity : ndarray of float64
        Share of the universe's option prints (sums to 1; Zipf-like heavy tail).
    beta : ndarray of float64
        Loading on the market factor.
    skew : ndarray of float64
        Slope of the implied-vol smile in standardized moneyness (negative: put skew).
    index_like : ndarray of bool
        ETF/index products: steeper put skew, lower vol, daily expiries when busy.
    """

    ticker: StrArray
    spot: FloatArray
    vol: FloatArray
    div_yield: FloatArray
    activity: FloatArray
    beta: FloatArray
    skew: FloatArray
    index_like: BoolArray

    def __len__(self) -> int:
        return int(self.ticker.shape[0])


def _made_up_tickers(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    letters = np.array(list(string.ascii_uppercase))
    out: list[str] = []
    while len(out) < n:
        size = int(rng.choice([3, 4, 4, 5]))
        name = "".join(rng.choice(letters, size=size))
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def make_universe(n_symbols: int, seed: int) -> Universe:
    """A universe of ``n_symbols`` names: the known busy tickers first, then made-up ones.

    Activity follows a Zipf law (share of rank ``i`` proportional to ``1 / i**1.1``), so the
    top few names carry most of the flow, as SPY, QQQ and TSLA do.
    """
    if n_symbols < 1:
        raise ValueError("n_symbols must be at least 1")
    rng = np.random.default_rng([seed, 1])
    known = _KNOWN[:n_symbols]
    n_made = n_symbols - len(known)
    tickers = [k[0] for k in known] + _made_up_tickers(rng, n_made, {k[0] for k in known})
    spot = np.concatenate([[k[1] for k in known],
                           np.round(np.exp(rng.normal(np.log(45.0), 0.9, n_made)), 2)])
    spot = np.clip(spot, 2.0, 2_000.0)
    vol = np.concatenate([[k[2] for k in known],
                          np.clip(rng.lognormal(np.log(0.42), 0.35, n_made), 0.15, 1.5)])
    div = np.concatenate([[k[3] for k in known],
                          np.where(rng.random(n_made) < 0.5, rng.uniform(0, 0.04, n_made), 0)])
    index_like = np.array([t in _INDEX_LIKE for t in tickers])
    rank = np.arange(1, n_symbols + 1, dtype=np.float64)
    activity = rank**-1.1
    activity /= activity.sum()
    beta = np.where(index_like, 1.0, np.clip(rng.normal(1.1, 0.35, n_symbols), 0.2, 2.5))
    skew = np.where(index_like, -0.16, rng.uniform(-0.10, -0.03, n_symbols))
    return Universe(
        ticker=np.array(tickers, dtype=str),
        spot=spot.astype(np.float64),
        vol=vol.astype(np.float64),
        div_yield=div.astype(np.float64),
        activity=activity,
        beta=beta,
        skew=skew,
        index_like=index_like,
    )
