"""Planting events and decoys into the synthetic tape, with their ground-truth labels.

A :class:`Planter` plans a whole session at its open (which event, which symbol and
contract, when), adjusts that session's reference data where a recipe needs it (open
interest and trailing volume of unusual-volume contracts; enough open interest under every
other planted contract that it never looks unusual by accident), and then renders each
event's prints in the block that contains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optix.core import Condition, EquityVenue
from optix.core.arrays import BoolArray, FloatArray, Int64Array
from optix.data.synthetic.config import PlantingRules
from optix.data.synthetic.day import OPTION_VENUE_SHARE, DayContext
from optix.data.synthetic.labels import EventKind
from optix.data.synthetic.paths import PathBlock
from optix.data.synthetic.quotes import Quotes
from optix.data.synthetic.recipes import DECOYS, TRUE_EVENTS, Recipe, divisor_prices
from optix.data.synthetic.tape import EquityRows, OptionRows

__all__ = ["PlannedEvent", "Planter", "Rendered", "exclude_background"]

K = EventKind
_MS = 1_000_000
_S = 1_000_000_000
_VENUES = np.array([int(v) for v in OPTION_VENUE_SHARE], dtype=np.uint8)
_BURST_PRINTS = 30


@dataclass(slots=True)
class PlannedEvent:
    """One event of the session plan (mutable only while rendering fills ``miss``)."""

    event_id: int
    recipe: Recipe
    sym: int
    t0: int
    contracts: tuple[int, ...]
    price_cents: int = 0
    """Exact price of the premium-decoy print, in cents (0: use the live quote)."""
    size: int = 0
    """Exact size of that print (or total volume of an unusual-volume burst)."""
    miss: str = ""


@dataclass(slots=True)
class Rendered:
    """Rows produced for one block, and per-event facts the labels need."""

    options: OptionRows
    equities: EquityRows
    side: dict[int, int]


class Planter:
    """Plans and renders the planted events of one session.

    Parameters
    ----------
    ctx : DayContext
        The session (its listings' open interest and trailing volume are adjusted in place
        by :meth:`plan`, before they are published).
    rules : PlantingRules
    rng : numpy.random.Generator
    first_id : int
        Event id of the first event of this session.
    """

    def __init__(self, ctx: DayContext, rules: PlantingRules, rng: np.random.Generator,
                 first_id: int) -> None:
        self.ctx = ctx
        self.rules = rules
        self.rng = rng
        self.next_id = first_id
        self.events: list[PlannedEvent] = []
        self.by_id: dict[int, PlannedEvent] = {}
        self._starts = np.empty(0, dtype=np.int64)
        self.skipped = 0
        """Events that found no suitable contract (counted, never silently dropped)."""
        n = len(ctx.listings)
        self.used = np.zeros(n, dtype=bool)
        self.reserved = np.zeros(n, dtype=bool)

    # ------------------------------------------------------------------ planning
    def plan(self, count: int, decoy_share: float, open_block: PathBlock,
             block_ns: int) -> None:
        """Plan ``count`` events (``decoy_share`` of them decoys) over the session."""
        rng = self.rng
        n_decoy = round(count * decoy_share)
        recipes = self._draw(TRUE_EVENTS, count - n_decoy) + self._draw(DECOYS, n_decoy)
        rng.shuffle(recipes)
        sess = self.ctx.session
        q_open = self.ctx.quote(np.arange(len(self.ctx.listings)), sess.open_ns, open_block)
        weights = self.ctx.universe.activity**0.5
        for recipe in recipes:
            t0 = int(rng.integers(sess.open_ns + 2 * _S, sess.close_ns - 5 * _S))
            t0 = self._fit_in_block(recipe, t0, block_ns)
            event = self._plan_one(recipe, t0, weights, q_open)
            if event is None:
                self.skipped += 1
            else:
                self.events.append(event)
        self.events.sort(key=lambda e: e.t0)
        self.by_id = {e.event_id: e for e in self.events}
        self._starts = np.array([e.t0 for e in self.events], dtype=np.int64)

    def _draw(self, recipes: tuple[Recipe, ...], n: int) -> list[Recipe]:
        w = np.array([r.weight for r in recipes])
        idx = self.rng.choice(len(recipes), size=n, p=w / w.sum())
        return [recipes[i] for i in idx]

    def _fit_in_block(self, recipe: Recipe, t0: int, block_ns: int) -> int:
        open_ns = self.ctx.session.open_ns
        start = open_ns + (t0 - open_ns) // block_ns * block_ns
        end = min(start + block_ns, self.ctx.session.close_ns)
        if recipe.family is K.UNUSUAL_VOLUME:
            return start + int(0.05 * (end - start))
        r = self.rules
        longest = max(r.sweep_window_s, 3 * r.spread_window_s) + 0.5  # spread decoy: 4 legs
        return max(start, min(t0, end - int(longest * _S)))

    def _plan_one(self, recipe: Recipe, t0: int, weights: FloatArray,
                  q_open: Quotes) -> PlannedEvent | None:
        rng, uni, rules = self.rng, self.ctx.universe, self.rules
        if recipe.family is K.DARK_POOL:
            eligible = np.ones(len(uni), dtype=bool)
            if recipe.variant in ("shares", "notional"):
                # 9,999 shares must still clear the notional; and a notional $1 under the
                # line on the minimum share count needs a price above notional / shares
                eligible = uni.spot > 1.2 * rules.dark_min_notional / (rules.dark_min_shares - 1)
            if not eligible.any():
                return None
            p = np.where(eligible, weights, 0.0)
            sym = int(rng.choice(len(uni), p=p / p.sum()))
            return PlannedEvent(self._id(), recipe, sym, t0, ())
        for _ in range(20):
            sym = int(rng.choice(len(uni), p=weights / weights.sum()))
            event = self._plan_option(recipe, sym, t0, q_open)
            if event is not None:
                return event
        return None

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _candidates(self, sym: int, q_open: Quotes, lo: float, hi: float) -> Int64Array:
        lst = self.ctx.listings
        idx = np.arange(lst.first[sym], lst.stop[sym])
        theo = q_open.theo[idx]
        ok = (theo >= lo) & (theo <= hi) & ~self.used[idx] & ~self.reserved[idx]
        ok &= q_open.bid[idx] > 0
        # at least a week to expiry: a short-dated option's price can collapse within the
        # day, and the sizes needed to reach a premium line would then swamp open interest
        ok &= lst.expiry_ns[idx] - self.ctx.session.open_ns > 7 * 86_400 * _S
        return idx[ok]

    def _pick(self, cands: Int64Array) -> int:
        w = self.ctx.listings.flow_share[cands] + 1e-12
        return int(self.rng.choice(cands, p=w / w.sum()))

    def _pick_near(self, cands: Int64Array, q_open: Quotes,
                   pairs: list[tuple[int, int]]) -> tuple[int, int, int] | None:
        """Contract whose value is nearest one of the exact ``(cents, size)`` pairs."""
        if cands.size == 0 or not pairs:
            return None
        cents = np.array([c for c, _ in pairs], dtype=np.float64)
        err = np.abs(np.log(q_open.theo[cands][:, None] * 100.0 / cents[None, :]))
        i, j = np.unravel_index(int(np.argmin(err)), err.shape)
        if err[i, j] > np.log(1.5):
            return None
        return int(cands[i]), pairs[j][0], pairs[j][1]

    def _plan_option(self, recipe: Recipe, sym: int, t0: int,
                     q_open: Quotes) -> PlannedEvent | None:
        rules = self.rules
        fam, var = recipe.family, recipe.variant
        cents = size = 0
        if fam is K.SPREAD:
            legs = self._spread_legs(sym, q_open)
            if legs is None:
                return None
            for c in legs:
                self.used[c] = True
                self._ensure_oi(c, 300)
            return PlannedEvent(self._id(), recipe, sym, t0, legs)
        if fam is K.UNUSUAL_VOLUME:
            return self._plan_unusual(recipe, sym, t0, q_open)
        if var == "premium":
            target = {
                K.SWEEP: rules.sweep_min_leg_premium, K.SPLIT: rules.sweep_min_leg_premium,
                K.BLOCK: rules.block_min_premium, K.REPEATED_HITS: rules.repeat_min_premium,
            }[fam]
            min_size = {K.BLOCK: rules.block_min_size, K.REPEATED_HITS: rules.repeat_min_hits
                        }.get(fam, 1)
            pairs = divisor_prices(round(target) - 1, min_size, 100_000)
            if fam is K.REPEATED_HITS:  # each hit must stay under a sweep leg
                pairs = [(c, n) for c, n in pairs
                         if c * -(-n // rules.repeat_min_hits) < rules.sweep_min_leg_premium]
            pairs = [(c, n) for c, n in pairs if c >= 5]
            pick = self._pick_near(self._candidates(sym, q_open, 0.05, 500.0), q_open, pairs)
            if pick is None:
                return None
            contract, cents, size = pick
        else:
            lo, hi = (0.2, 60.0)
            if fam is K.BLOCK and var == "size":
                lo = 1.3 * rules.block_min_premium / ((rules.block_min_size - 1) * 100.0)
                hi = 10 * lo
            if fam is K.REPEATED_HITS:
                hi = 0.5 * rules.sweep_min_leg_premium / 100.0
            cands = self._candidates(sym, q_open, lo, hi)
            if cands.size == 0:
                return None
            contract = self._pick(cands)
        self.used[contract] = True
        self._ensure_oi(contract, self._volume_bound(fam, float(q_open.theo[contract])))
        return PlannedEvent(self._id(), recipe, sym, t0, (contract,), cents, size)

    def _volume_bound(self, fam: EventKind, theo: float) -> int:
        """Generous bound on the contracts an event prints (price may halve by then)."""
        r = self.rules
        leg = 5 * 3.0 * r.sweep_min_leg_premium
        per = {K.SWEEP: leg, K.SPLIT: leg,
               K.BLOCK: 6.0 * r.block_min_premium,
               K.REPEATED_HITS: 8 * r.sweep_min_leg_premium}.get(fam, r.block_min_premium)
        return int(np.ceil(4.0 * per / (max(theo, 0.01) * 100.0))) + r.block_min_size

    def _ensure_oi(self, contract: int, volume: int) -> None:
        """Give ``contract`` open interest comfortably above the volume planted on it."""
        lst = self.ctx.listings
        need = int(np.ceil(4.0 * lst.expected_volume[contract] + 3 * volume + 10))
        if lst.open_interest[contract] < need:
            lst.open_interest[contract] = need

    def _plan_unusual(self, recipe: Recipe, sym: int, t0: int,
                      q_open: Quotes) -> PlannedEvent | None:
        rules, lst = self.rules, self.ctx.listings
        cands = self._candidates(sym, q_open, 0.10, 3.0)
        if cands.size == 0:
            return None
        contract = self._pick(cands)
        price = float(q_open.ask[contract]) * 1.5  # room for the price to rise by the burst
        per_print = int((rules.sweep_min_leg_premium - 1.0) // (price * 100.0))
        if per_print < 2:
            return None
        oi = int(np.clip(per_print * _BURST_PRINTS // 3, 20, 5_000))
        if recipe.variant == "oi":
            volume = int(np.floor(oi * rules.unusual_min_oi_ratio))
            avg = volume / 10.0
        elif recipe.variant == "avg":
            volume = int(np.floor(oi * rules.unusual_min_oi_ratio * 1.5)) + 1
            avg = volume / (0.8 * rules.unusual_min_avg_multiple)
        else:
            volume = int(np.floor(oi * rules.unusual_min_oi_ratio
                                  * self.rng.uniform(1.2, 2.5))) + 1
            avg = volume / (rules.unusual_min_avg_multiple * self.rng.uniform(1.6, 4.0))
        self.used[contract] = True
        self.reserved[contract] = True  # no background prints on it all day
        lst.open_interest[contract] = oi
        lst.avg_volume[contract] = avg
        lst.expected_volume[contract] = 0.0
        return PlannedEvent(self._id(), recipe, sym, t0, (contract,), 0, volume)

    def _spread_legs(self, sym: int, q_open: Quotes) -> tuple[int, ...] | None:
        lst = self.ctx.listings
        cands = self._candidates(sym, q_open, 0.3, 40.0)
        if cands.size < 4:
            return None
        first = self._pick(cands)
        same = cands[(lst.expiry[cands] == lst.expiry[first]) & (cands != first)]
        structure = self.rng.choice(["vertical", "risk_reversal", "condor"])
        if structure == "vertical":
            pool = same[lst.right[same] == lst.right[first]]
            if pool.size == 0:
                return None
            near = pool[np.argsort(np.abs(lst.strike[pool] - lst.strike[first]))]
            return (first, int(near[0]))
        if structure == "risk_reversal":
            pool = same[lst.right[same] != lst.right[first]]
            if pool.size == 0:
                return None
            return (first, int(pool[np.argmin(np.abs(lst.strike[pool] - lst.strike[first]))]))
        calls = np.sort(same[lst.right[same] == 1])
        puts = np.sort(same[lst.right[same] == -1])
        if calls.size < 2 or puts.size < 2:
            return None
        return (int(puts[0]), int(puts[-1]), int(calls[0]), int(calls[-1]))

    # ----------------------------------------------------------------- rendering
    def due(self, t0: int, t1: int) -> list[PlannedEvent]:
        """Planned events starting in ``[t0, t1)``."""
        lo, hi = np.searchsorted(self._starts, [t0, t1])
        return self.events[lo:hi]

    def render(self, events: list[PlannedEvent], block: PathBlock) -> Rendered:
        """Prints of ``events`` (group id = event id) for the block ``block``."""
        opt: list[OptionRows] = []
        eq: list[EquityRows] = []
        side: dict[int, int] = {}
        for ev in events:
            if ev.recipe.family is K.DARK_POOL:
                rows, s = self._dark(ev, block)
                eq.append(rows)
            else:
                orows, s = self._option_event(ev, block)
                opt.append(orows)
            side[ev.event_id] = s
        return Rendered(OptionRows.concat(opt), EquityRows.concat(eq), side)

    def _option_event(self, ev: PlannedEvent, block: PathBlock) -> tuple[OptionRows, int]:
        fam = ev.recipe.family
        if fam is K.SPREAD:
            return self._spread(ev, block), 0
        if fam is K.UNUSUAL_VOLUME:
            return self._burst(ev, block), 1
        if fam in (K.SWEEP, K.SPLIT):
            return self._sweep_like(ev, block)
        if fam is K.BLOCK:
            return self._block(ev, block)
        return self._repeated(ev, block)

    def _rows(self, ev: PlannedEvent, contract: Int64Array, ts: Int64Array, price: FloatArray,
              size: Int64Array, venue: np.ndarray, bid: FloatArray, ask: FloatArray,
              cond: np.ndarray) -> OptionRows:
        n = contract.size
        return OptionRows(
            contract=contract.astype(np.int64), ts=ts.astype(np.int64),
            price=np.round(price, 4), size=size.astype(np.int64), venue=venue.astype(np.uint8),
            bid=np.round(bid, 2), ask=np.round(ask, 2), cond=cond.astype(np.uint32),
            group=np.full(n, ev.event_id, dtype=np.int64),
        )

    def _offsets(self, n: int, span_ns: int, exact_last: bool) -> Int64Array:
        inner = np.sort(self.rng.integers(1, max(span_ns, 2), max(n - 2, 0)))
        last = span_ns if exact_last else int(self.rng.integers(max(n - 1, 1), max(span_ns, n)))
        return np.concatenate([[0], inner, [last]])[:n].astype(np.int64)

    def _sweep_like(self, ev: PlannedEvent, block: PathBlock) -> tuple[OptionRows, int]:
        r, rng = self.rules, self.rng
        fam, var = ev.recipe.family, ev.recipe.variant
        legs = int(rng.integers(r.sweep_min_legs, r.sweep_min_legs + 2))
        window = int(r.sweep_window_s * _S)
        if fam is K.SWEEP:
            span, exact = int(rng.integers(300_000, 40 * _MS)), False
        else:
            span, exact = int(rng.integers(50 * _MS, int(0.9 * window))), False
        if var == "legs":
            legs = r.sweep_min_legs - 1
        elif var == "span":
            legs, span, exact = r.sweep_min_legs, window + 100 * _MS, True
            ev.miss = f"span {span / _S:.3f} s > {r.sweep_window_s:g} s"
        if var == "legs":
            ev.miss = f"{legs} legs < {r.sweep_min_legs}"
        multi_venue = fam is K.SWEEP and var != "venue"
        if multi_venue:
            n_venues = int(rng.integers(r.sweep_min_venues, legs + 1))
            chosen = rng.choice(_VENUES, size=n_venues, replace=False)
            venue = np.resize(chosen, legs)
            rng.shuffle(venue)
        else:
            venue = np.full(legs, rng.choice(_VENUES))
            if var == "venue":
                ev.miss = f"1 venue < {r.sweep_min_venues}"
        ts = ev.t0 + self._offsets(legs, span, exact)
        c = np.full(legs, ev.contracts[0], dtype=np.int64)
        q = self.ctx.quote(c, ts, block)
        buy = rng.random() < 0.65
        # a sweep takes the book level by level: the touch moves a tick now and then
        walk = (np.cumsum(rng.random(legs) < 0.3).astype(np.float64) if fam is K.SWEEP
                else np.zeros(legs))
        bid = q.bid + (walk * q.tick if buy else -walk * q.tick)
        bid = np.maximum(bid, q.tick)
        ask = np.maximum(q.ask + (walk * q.tick if buy else -walk * q.tick), bid + q.tick)
        price = ask if buy else bid
        size = np.ceil(r.sweep_min_leg_premium * rng.uniform(1.02, 2.5, legs)
                       / (price * 100.0)).astype(np.int64)
        if var == "premium":
            j = int(rng.integers(legs))
            price[j] = ev.price_cents / 100.0
            size[j] = ev.size
            bid[j], ask[j] = _quote_through(price[j], q.tick[j], buy)
            ev.miss = (f"leg premium ${ev.price_cents * ev.size:,} < "
                       f"${r.sweep_min_leg_premium:,.0f}")
        iso = fam is K.SWEEP and rng.random() < 0.9
        cond = np.full(legs, int(Condition.ISO) if iso else 0)
        return self._rows(ev, c, ts, price, size, venue, bid, ask, cond), 1 if buy else -1

    def _block(self, ev: PlannedEvent, block: PathBlock) -> tuple[OptionRows, int]:
        r, rng = self.rules, self.rng
        c = np.array(ev.contracts, dtype=np.int64)
        ts = np.array([ev.t0], dtype=np.int64)
        q = self.ctx.quote(c, ts, block)
        buy = rng.random() < 0.65
        bid, ask = q.bid.copy(), q.ask.copy()
        price = ask.copy() if buy else bid.copy()
        if ev.recipe.variant == "premium":
            price[0] = ev.price_cents / 100.0
            size = np.array([ev.size])
            bid, ask = _quote_through(price, q.tick, buy)
            ev.miss = f"premium ${ev.price_cents * ev.size:,} < ${r.block_min_premium:,.0f}"
        elif ev.recipe.variant == "size":
            size = np.array([r.block_min_size - 1])
            need = r.block_min_premium / ((r.block_min_size - 1) * 100.0)
            if price[0] < need:  # keep the premium above the line: only the size misses
                price[0] = np.ceil(need * 100.0 + 1) / 100.0
                bid, ask = _quote_through(price, q.tick, buy)
            ev.miss = f"{r.block_min_size - 1} contracts < {r.block_min_size}"
        else:
            needed = r.block_min_premium * rng.uniform(1.05, 5.0) / (price * 100.0)
            size = np.maximum(np.ceil(needed), r.block_min_size * rng.uniform(1.0, 3.0))
        venue = np.array([rng.choice(_VENUES)])
        cond = np.array([int(Condition.AUCTION) if rng.random() < 0.3 else 0])
        return self._rows(ev, c, ts, price, size.astype(np.int64), venue, bid, ask,
                          cond), 1 if buy else -1

    def _repeated(self, ev: PlannedEvent, block: PathBlock) -> tuple[OptionRows, int]:
        r, rng = self.rules, self.rng
        var = ev.recipe.variant
        window = int(r.repeat_window_s * _S)
        hits = int(rng.integers(r.repeat_min_hits, r.repeat_min_hits + 3))
        span, exact = int(rng.integers(window // 5, int(0.9 * window))), False
        if var == "hits":
            hits = r.repeat_min_hits - 1
            ev.miss = f"{hits} hits < {r.repeat_min_hits}"
        elif var == "span":
            hits, span, exact = r.repeat_min_hits, window + 10 * _MS, True
            ev.miss = f"span {span / _S * 1e3:.0f} ms > {r.repeat_window_s * 1e3:g} ms"
        elif var == "premium":
            hits = r.repeat_min_hits
        ts = ev.t0 + self._offsets(hits, span, exact)
        c = np.full(hits, ev.contracts[0], dtype=np.int64)
        q = self.ctx.quote(c, ts, block)
        buy = rng.random() < 0.65
        bid, ask = q.bid.copy(), q.ask.copy()
        price = ask.copy() if buy else bid.copy()
        if var == "premium":
            price[:] = ev.price_cents / 100.0
            size = np.full(hits, ev.size // hits)
            size[: ev.size % hits] += 1
            bid, ask = _quote_through(price, q.tick, buy)
            ev.miss = (f"premium ${ev.price_cents * ev.size:,} < "
                       f"${r.repeat_min_premium:,.0f}")
        else:
            per_hit = r.repeat_min_premium * rng.uniform(1.05, 1.5) / hits
            per_hit = min(per_hit, 0.95 * r.sweep_min_leg_premium)
            size = np.maximum(np.ceil(per_hit / (price * 100.0)), 1)
            over = price * size * 100.0 >= r.sweep_min_leg_premium
            size = np.where(over, np.floor((r.sweep_min_leg_premium - 1) / (price * 100.0)),
                            size)
        venue = np.full(hits, rng.choice(_VENUES))
        cond = np.zeros(hits)
        return self._rows(ev, c, ts, price, size.astype(np.int64), venue, bid, ask,
                          cond), 1 if buy else -1

    def _burst(self, ev: PlannedEvent, block: PathBlock) -> OptionRows:
        r, rng = self.rules, self.rng
        contract = ev.contracts[0]
        duration = int(min(45.0, 0.75 * (block.spot.shape[1] - 1) * block.step_ns / _S) * _S)
        min_gap = int(1.5 * r.repeat_window_s * _S)  # never a repeated-hit run
        top_price = float(self.ctx.quote(np.array([contract]), np.array([ev.t0]), block).ask[0])
        while True:  # every print under a sweep leg's premium, whatever the price does
            per_print = max(int((r.sweep_min_leg_premium - 1.0) // (top_price * 100.0)), 1)
            n = max(-(-ev.size // per_print), 1)
            ts = ev.t0 + np.arange(n, dtype=np.int64) * max(duration // n, min_gap)
            c = np.full(n, contract, dtype=np.int64)
            q = self.ctx.quote(c, ts, block)
            size = np.full(n, ev.size // n)
            size[: ev.size % n] += 1
            price = q.ask
            if np.all(price * size * 100.0 < r.sweep_min_leg_premium) or per_print == 1:
                break
            top_price = float(price.max())  # the price rose: more, smaller prints
        oi = int(self.ctx.listings.open_interest[contract])
        avg = float(self.ctx.listings.avg_volume[contract])
        if ev.recipe.variant == "oi":
            ev.miss = f"volume {ev.size:,} = open interest {oi:,}"
        elif ev.recipe.variant == "avg":
            ev.miss = (f"volume {ev.size:,} is {ev.size / avg:.1f}x average < "
                       f"{r.unusual_min_avg_multiple:g}x")
        venue = _VENUES[rng.integers(0, _VENUES.size, n)]
        return self._rows(ev, c, ts, price, size, venue, q.bid, q.ask, np.zeros(n))

    def _spread(self, ev: PlannedEvent, block: PathBlock) -> OptionRows:
        r, rng = self.rules, self.rng
        n = len(ev.contracts)
        c = np.array(ev.contracts, dtype=np.int64)
        flagged = ev.recipe.variant != "flag"
        step = int(rng.integers(0, 200_000)) if flagged else int((r.spread_window_s + 0.1) * _S)
        ts = ev.t0 + np.arange(n, dtype=np.int64) * step
        q = self.ctx.quote(c, ts, block)
        buy = np.array([i % 2 == 0 for i in range(n)])
        if n == 4:  # iron condor: sell the inner strikes, buy the wings
            buy = np.array([True, False, False, True])
        price = np.where(buy, q.ask, q.bid)
        per_leg_cap = (r.block_min_premium - 1.0) / (price * 100.0)
        qty = int(min(rng.integers(10, 300), np.floor(per_leg_cap.min())))
        qty = max(qty, 1)
        size = np.full(n, qty)
        venue = np.full(n, rng.choice(_VENUES))
        cond = np.full(n, int(Condition.MULTI_LEG) if flagged else 0)
        if not flagged:
            ev.miss = (f"no complex flag; legs {step / _S:.1f} s apart > "
                       f"{r.spread_window_s:g} s")
        return self._rows(ev, c, ts, price, size, venue, q.bid, q.ask, cond)

    def _dark(self, ev: PlannedEvent, block: PathBlock) -> tuple[EquityRows, int]:
        r, rng = self.rules, self.rng
        sym = np.array([ev.sym], dtype=np.int64)
        ts = np.array([ev.t0], dtype=np.int64)
        spot = float(self.ctx.spot(sym, ts, block)[0])
        var = ev.recipe.variant
        trf = var != "lit"
        if var == "shares":
            size = r.dark_min_shares - 1
            price = max(spot, np.ceil((r.dark_min_notional + 1) / size * 100) / 100)
            ev.miss = f"{size:,} shares < {r.dark_min_shares:,}"
        elif var == "notional":
            size = max(r.dark_min_shares, round(r.dark_min_notional / spot))
            price = np.floor((r.dark_min_notional - 1.0) / size * 1e4) / 1e4
            ev.miss = f"notional ${price * size:,.2f} < ${r.dark_min_notional:,.0f}"
        else:
            shares = max(r.dark_min_shares, r.dark_min_notional * rng.uniform(1.05, 4.0) / spot)
            size = int(np.ceil(shares / 100.0) * 100)
            price = round(spot + rng.normal(0, 0.0002) * spot, 4)
            if var == "lit":
                ev.miss = "lit exchange, not off-exchange"
        venue = (rng.choice([int(EquityVenue.FINN), int(EquityVenue.FINY)]) if trf
                 else rng.choice([int(EquityVenue.XNYS), int(EquityVenue.XNAS)]))
        delay = int(rng.uniform(0.01, 9.0) * _S) if trf else 0
        half = max(round(spot * 0.0001, 2), 0.01)
        rows = EquityRows(
            sym=sym, ts=ts, exec_ts=ts - delay, price=np.array([price]),
            size=np.array([size], dtype=np.int64), venue=np.array([venue], dtype=np.uint8),
            bid=np.array([round(spot - half, 2)]), ask=np.array([round(spot + half, 2)]),
            cond=np.zeros(1, dtype=np.uint32), group=np.array([ev.event_id], dtype=np.int64),
        )
        return rows, 0


def _quote_through(price: Any, tick: Any, buy: bool) -> tuple[Any, Any]:
    """The NBBO (bid, ask) under which a print at ``price`` is at the ask (buy) or bid (sell).

    Exact-premium decoys set their own price; the quote at the print follows it.
    """
    if buy:
        return np.maximum(price - tick, 0.0), price
    return price, price + tick


def exclude_background(background: OptionRows, planted: OptionRows,
                       margin_ns: int) -> BoolArray:
    """Mask of background rows to keep (background rows sorted by time).

    No background print stays on a planted contract within ``margin_ns`` of its prints.
    """
    keep = np.ones(len(background), dtype=bool)
    if len(planted) == 0:
        return keep
    key = planted.group * (1 << 32) + planted.contract
    for k in np.unique(key):
        rows = key == k
        contract = int(planted.contract[rows][0])
        start = int(planted.ts[rows].min()) - margin_ns
        end = int(planted.ts[rows].max()) + margin_ns
        lo, hi = np.searchsorted(background.ts, [start, end])
        keep[lo:hi] &= background.contract[lo:hi] != contract
    return keep
