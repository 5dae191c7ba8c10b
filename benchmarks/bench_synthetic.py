"""Synthetic market generation speed: option trades per second into batches, one core.

Ours: one full simulated session of the default universe (500 symbols, ~5 M option trades,
planted events, labels), once with equity prints off and once with the default one equity
print per option print. Reference: a straightforward per-trade Python generator doing the
same per-print work (pick a contract, price it with Black-Scholes, quote, place, size),
timed on 50,000 trades in the same run.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time

from optix.data.synthetic import SyntheticConfig, SyntheticMarket


def ours(equity_ratio: float) -> tuple[int, int, float]:
    market = SyntheticMarket(SyntheticConfig(start=dt.date(2026, 3, 30), batch_seconds=60,
                                             chain_every_s=None,
                                             equity_prints_per_option_trade=equity_ratio))
    t0 = time.perf_counter()
    trades = equities = 0
    for batch in market.batches():
        trades += batch.n_trades
        equities += batch.n_equities
    return trades, equities, time.perf_counter() - t0


def reference(n: int) -> float:
    rng = random.Random(1)
    contracts = [(rng.uniform(50, 600), rng.uniform(0.01, 1.0), rng.choice((1, -1)))
                 for _ in range(5000)]
    nd = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    out = []
    t0 = time.perf_counter()
    for i in range(n):
        k, t, w = contracts[rng.randrange(len(contracts))]
        s, vol = 300.0, 0.3
        sd = vol * math.sqrt(t)
        d1 = (math.log(s / k) + 0.04 * t) / sd + sd / 2
        theo = w * (s * nd(w * d1) - k * math.exp(-0.04 * t) * nd(w * (d1 - sd)))
        bid, ask = round(max(theo * 0.99, 0.0), 2), round(theo * 1.01 + 0.01, 2)
        price = rng.choice((bid, ask, round((bid + ask) / 2, 2)))
        size = int(math.exp(rng.gauss(0.4, 1.2))) + 1
        out.append((i, price, size, bid, ask, rng.randrange(18)))
    return time.perf_counter() - t0


def main() -> None:
    n_ref = 50_000
    ref_rate = n_ref / reference(n_ref)
    rows = []
    for ratio in (0.0, 1.0):
        trades, equities, secs = ours(ratio)
        rows.append((f"synthetic day, {ratio:g} equity print/option print", trades, equities,
                     secs, trades / secs))
    print(f"{'case':<44}{'option trades':>14}{'equity prints':>14}{'seconds':>9}"
          f"{'trades/s':>12}{'vs ref':>8}")
    for case, trades, equities, secs, rate in rows:
        print(f"{case:<44}{trades:>14,}{equities:>14,}{secs:>9.2f}{rate:>12,.0f}"
              f"{rate / ref_rate:>7.1f}x")
    print(f"{'reference: per-trade Python loop':<44}{n_ref:>14,}{0:>14,}"
          f"{n_ref / ref_rate:>9.2f}{ref_rate:>12,.0f}{1.0:>7.1f}x")
    print("target: 2,000,000 option trades/s")


if __name__ == "__main__":
    main()
