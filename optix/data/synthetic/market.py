"""The synthetic market: a deterministic source of option trades, equity prints and chains."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from optix.core import (
    ChainSnapshot,
    ContractReference,
    EquityPrintBatch,
    OptionTradeBatch,
    Right,
)
from optix.core.arrays import FloatArray, Int64Array
from optix.core.occ import format_occ
from optix.data.calendar import last_session, next_sessions, session
from optix.data.feed import FeedBatch
from optix.data.source import MarketSource
from optix.data.synthetic.config import SyntheticConfig
from optix.data.synthetic.day import DayContext
from optix.data.synthetic.labels import Label
from optix.data.synthetic.listings import list_contracts
from optix.data.synthetic.paths import PathBlock, PricePaths, intraday_shape
from optix.data.synthetic.planted import Planter, Rendered, exclude_background
from optix.data.synthetic.sampling import AliasSampler
from optix.data.synthetic.tape import (
    EquityRows,
    OptionRows,
    background_equities,
    background_options,
)
from optix.data.synthetic.universe import Universe, make_universe

__all__ = ["SyntheticMarket"]

_S = 1_000_000_000
_STEP_S = 5.0  # price path resolution
_EXCLUSION_NS = 3 * _S  # background kept this far from planted prints of the same contract


class SyntheticMarket(MarketSource):
    """A simulated US options market, the embedded default feed.

    Parameters
    ----------
    config : SyntheticConfig

    Notes
    -----
    Same config (seed included), same batches, bit for bit. Batches carry validated
    columnar data; ``FeedBatch.labels`` carries the ground truth of the events planted in
    each batch (see :class:`~optix.data.synthetic.labels.Label`). The first batch of each
    session carries that session's :class:`~optix.core.ContractReference`.
    """

    def __init__(self, config: SyntheticConfig | None = None) -> None:
        super().__init__()
        self.config = config or SyntheticConfig()
        self.universe: Universe = make_universe(self.config.n_symbols, self.config.seed)
        first = self.config.start or last_session(dt.date.today())
        self.sessions = next_sessions(first, self.config.days)
        self.name = (f"synthetic market ({self.config.n_symbols} symbols, seed "
                     f"{self.config.seed}, {self.sessions[0].isoformat()}"
                     + (f" +{self.config.days - 1} sessions" if self.config.days > 1 else "")
                     + ")")
        self.planted_skipped = 0
        """Planned events that found no suitable contract (counted, never silently lost)."""

    # ------------------------------------------------------------------ stream
    def batches(self, start_offset: int = 0) -> Iterator[FeedBatch]:
        """Generate the configured sessions (regenerating and skipping to ``start_offset``)."""
        cfg = self.config
        paths = PricePaths(self.universe, np.random.default_rng([cfg.seed, 2]), rate=cfg.rate)
        offset = seq_opt = seq_eq = next_event_id = 0
        for day_index, date in enumerate(self.sessions):
            if day_index:
                paths.gap()
            day = _Day(self, date, day_index, paths, next_event_id, seq_opt, seq_eq)
            for batch in day.run(offset):
                if batch.offset >= start_offset:
                    yield batch
                offset = batch.offset + 1
            seq_opt, seq_eq, next_event_id = day.seq_opt, day.seq_eq, day.planter.next_id


class _Day:
    """One session of the synthetic market."""

    def __init__(self, market: SyntheticMarket, date: dt.date, day_index: int,
                 paths: PricePaths, first_event_id: int, seq_opt: int, seq_eq: int) -> None:
        cfg = market.config
        self.market = market
        self.cfg = cfg
        self.paths = paths
        self.session = session(date)
        seed = [cfg.seed, 3, day_index]
        self.rng = np.random.default_rng(seed)
        uni = market.universe
        listings = list_contracts(uni, paths.spot, date, self.session.open_ns,
                                  cfg.trades_per_day, np.random.default_rng([*seed, 1]))
        self.ctx = DayContext.build(self.session, uni, listings, cfg.rate)
        self.planter = Planter(self.ctx, cfg.rules, np.random.default_rng([*seed, 2]),
                               first_event_id)
        open_block = PathBlock(self.session.open_ns, int(_STEP_S * _S),
                               paths.spot[:, None].copy(), paths.vol[:, None].copy())
        self.block_ns = int(cfg.block_seconds * _S)
        self.planter.plan(cfg.planted_per_day, cfg.decoy_share, open_block, self.block_ns)
        market.planted_skipped += self.planter.skipped
        weights = uni.activity[listings.sym] * listings.flow_share
        weights[self.planter.reserved] = 0.0
        self.sampler = AliasSampler(weights)
        self.eq_symbols = AliasSampler(uni.activity**0.6)
        self.volume = np.zeros(len(listings), dtype=np.int64)
        self.bg_volume = np.zeros(len(listings), dtype=np.int64)
        self.bg_limit = listings.open_interest // 2
        self.pending_volume: list[tuple[Int64Array, Int64Array]] = []
        self.last_price = np.zeros(len(listings))
        self.seq_opt, self.seq_eq = seq_opt, seq_eq
        self.tickers = uni.ticker
        self.occ_cache: dict[int, str] = {}

    def reference(self) -> ContractReference:
        lst = self.ctx.listings
        return ContractReference.from_owned(
            as_of_ns=self.session.open_ns, underlying=self.tickers[lst.sym],
            expiry=lst.expiry.copy(), strike=lst.strike.copy(),
            right=lst.right.copy(), open_interest=lst.open_interest.copy(),
            avg_volume=np.round(lst.avg_volume, 2),
        )

    def run(self, offset: int) -> Iterator[FeedBatch]:
        cfg, sess = self.cfg, self.session
        reference: ContractReference | None = self.reference()
        chain_next = sess.open_ns if cfg.chain_every_s is not None else None
        batch_ns = int(cfg.batch_seconds * _S)
        t = sess.open_ns
        while t < sess.close_ns:
            b1 = min(t + self.block_ns, sess.close_ns)
            block = self._path_block(t, b1)
            options, equities, labels = self._block_rows(t, b1, block)
            chains: tuple[ChainSnapshot, ...] = ()
            if chain_next is not None and chain_next < b1:
                chains = self._chains(b1, block)
                every = int((cfg.chain_every_s or 0) * _S)
                chain_next += ((b1 - chain_next) // every + 1) * every
            cuts = [*range(t, b1, batch_ns), b1]
            o_cut = np.searchsorted(options.ts_ns, cuts)
            e_cut = np.searchsorted(equities.ts_ns, cuts)
            o_cut[-1], e_cut[-1] = len(options), len(equities)  # nothing is left behind
            for i in range(len(cuts) - 1):
                start, end = cuts[i], cuts[i + 1]
                last = i == len(cuts) - 2
                yield FeedBatch(
                    offset=offset, start_ns=start, end_ns=end,
                    trades=options.take(slice(o_cut[i], o_cut[i + 1])),
                    equities=equities.take(slice(e_cut[i], e_cut[i + 1])),
                    chains=chains if last else (),
                    reference=reference,
                    labels=tuple(lb for lb in labels if start <= lb.end_ns < end
                                 or (last and lb.end_ns >= end)),
                )
                offset += 1
                reference = None  # once, with the day's first batch
            t = b1

    def _path_block(self, t0: int, t1: int) -> PathBlock:
        sess = self.session
        steps = max(int(np.ceil((t1 - t0) / (_STEP_S * _S))), 1)
        mid = t0 + (np.arange(steps) + 0.5) * _STEP_S * _S
        tau = np.clip((mid - sess.open_ns) / (sess.close_ns - sess.open_ns), 0, 1)
        return self.paths.block(t0, steps, _STEP_S, sess.seconds, intraday_shape(tau))

    def _expected(self, t0: int, t1: int) -> float:
        sess = self.session
        tau = np.linspace((t0 - sess.open_ns) / (sess.close_ns - sess.open_ns),
                          (t1 - sess.open_ns) / (sess.close_ns - sess.open_ns), 16)
        share = float(intraday_shape(tau).mean()) * (t1 - t0) / (sess.close_ns - sess.open_ns)
        return self.cfg.trades_per_day * share

    def _block_rows(self, t0: int, t1: int, block: PathBlock
                    ) -> tuple[OptionTradeBatch, EquityPrintBatch, list[Label]]:
        cfg = self.cfg
        expected = self._expected(t0, t1)
        bg = background_options(self.ctx, block, t0, t1, expected, self.rng, cfg.rules,
                                self.sampler)
        rendered: Rendered = self.planter.render(self.planter.due(t0, t1), block)
        planted = rendered.options
        keep = exclude_background(bg, planted, _EXCLUSION_NS) & self._under_oi(bg)
        rows = OptionRows.concat([bg.take(keep) if not keep.all() else bg, planted])
        order = np.argsort(rows.ts, kind="stable")  # two sorted runs: a merge
        rows = rows.take(order)
        eq_bg = background_equities(
            self.ctx, block, t0, t1, expected * cfg.equity_prints_per_option_trade, self.rng,
            cfg.rules, cfg.off_exchange_share, self.eq_symbols)
        eq = EquityRows.concat([eq_bg, rendered.equities])
        eq = eq.take(np.argsort(eq.ts, kind="stable"))
        options = self._option_batch(rows)
        equities = self._equity_batch(eq)
        if cfg.chain_every_s is not None:  # day volume is only needed for chain snapshots
            self.pending_volume.append((rows.contract, rows.size))
            self.last_price[rows.contract] = rows.price
        labels = self._labels(rows, options.seq, eq, equities.seq, rendered)
        self.market.stats.count("option_trade", len(options), len(options))
        self.market.stats.count("equity_print", len(equities), len(equities))
        return options, equities, labels

    def _under_oi(self, bg: OptionRows) -> np.ndarray:
        """Keep background day volume of every contract at most half its open interest.

        Planted prints add at most a third (see the planter), so only planted
        unusual-volume bursts ever take a contract's volume above its open interest.
        """
        np.add.at(self.bg_volume, bg.contract, bg.size)
        over = self.bg_volume[bg.contract] > self.bg_limit[bg.contract]
        if over.any():
            np.subtract.at(self.bg_volume, bg.contract[over], bg.size[over])
        return ~over

    def _flush_volume(self) -> None:
        if self.pending_volume:
            contract = np.concatenate([c for c, _ in self.pending_volume])
            size = np.concatenate([s for _, s in self.pending_volume])
            self.volume += np.bincount(contract, weights=size,
                                       minlength=self.volume.size).astype(np.int64)
            self.pending_volume.clear()

    def _option_batch(self, rows: OptionRows) -> OptionTradeBatch:
        lst = self.ctx.listings
        n = len(rows)
        seq = np.arange(self.seq_opt, self.seq_opt + n, dtype=np.int64)
        self.seq_opt += n
        sym = lst.sym[rows.contract]
        return OptionTradeBatch.from_owned(
            ts_ns=rows.ts, seq=seq, underlying=self.tickers[sym],
            expiry=lst.expiry[rows.contract], strike=lst.strike[rows.contract],
            right=lst.right[rows.contract], price=rows.price,
            size=rows.size, venue=rows.venue, bid=rows.bid,
            ask=rows.ask, conditions=rows.cond,
        )

    def _equity_batch(self, rows: EquityRows) -> EquityPrintBatch:
        n = len(rows)
        seq = np.arange(self.seq_eq, self.seq_eq + n, dtype=np.int64)
        self.seq_eq += n
        return EquityPrintBatch.from_owned(
            ts_ns=rows.ts, exec_ts_ns=rows.exec_ts, seq=seq,
            symbol=self.tickers[rows.sym], price=rows.price,
            size=rows.size, venue=rows.venue, bid=rows.bid,
            ask=rows.ask, conditions=rows.cond,
        )

    def _occ(self, contract: int) -> str:
        if contract not in self.occ_cache:
            lst = self.ctx.listings
            self.occ_cache[contract] = format_occ(
                str(self.tickers[lst.sym[contract]]), lst.expiry[contract].item(),
                Right(int(lst.right[contract])), float(lst.strike[contract]))
        return self.occ_cache[contract]

    def _labels(self, rows: OptionRows, seq: Int64Array, eq: EquityRows, eq_seq: Int64Array,
                rendered: Rendered) -> list[Label]:
        labels: list[Label] = []
        planted = np.flatnonzero(rows.group >= 0)  # a handful of rows per block
        planted = planted[np.argsort(rows.group[planted], kind="stable")]
        gids, starts = np.unique(rows.group[planted], return_index=True)
        groups = np.split(planted, starts[1:]) if planted.size else []
        for gid, ii in zip(gids, groups, strict=True):
            labels.append(self._label(
                int(gid), stream="option", contract=self._occ(int(rows.contract[ii[0]])),
                seqs=seq[ii], ts=rows.ts[ii], premium=float(rows.premium(ii).sum()),
                size=int(rows.size[ii].sum()), venues=int(np.unique(rows.venue[ii]).size),
                side=rendered.side[int(gid)]))
        for j in np.flatnonzero(eq.group >= 0):
            gid = int(eq.group[j])
            labels.append(self._label(
                gid, stream="equity", contract=str(self.tickers[eq.sym[j]]),
                seqs=eq_seq[j:j + 1], ts=eq.ts[j:j + 1],
                premium=float(eq.price[j] * eq.size[j]), size=int(eq.size[j]), venues=1,
                side=rendered.side[gid]))
        return labels

    def _label(self, gid: int, *, stream: str, contract: str, seqs: Int64Array,
               ts: Int64Array, premium: float, size: int, venues: int, side: int) -> Label:
        ev = self.planter.by_id[gid]
        return Label(
            event_id=gid, kind=ev.recipe.kind,
            decoy_of=ev.recipe.family if ev.recipe.is_decoy else None, miss=ev.miss,
            underlying=str(self.tickers[ev.sym]), contract=contract, stream=stream,
            seqs=tuple(int(s) for s in seqs), start_ns=int(ts.min()), end_ns=int(ts.max()),
            premium=round(premium, 2), size=size, venues=venues, side=side,
        )

    def _chains(self, at_ns: int, block: PathBlock) -> tuple[ChainSnapshot, ...]:
        lst = self.ctx.listings
        self._flush_volume()
        out = []
        for s in range(min(self.cfg.chain_symbols, len(self.tickers))):
            idx = np.arange(lst.first[s], lst.stop[s])
            live = lst.expiry_ns[idx] > at_ns
            idx = idx[live]
            if idx.size == 0:
                continue
            q = self.ctx.quote(idx, at_ns, block)
            spot: FloatArray = block.spot[s, -1:]
            out.append(ChainSnapshot.from_owned(
                underlying=str(self.tickers[s]), spot=round(float(spot[0]), 2), as_of_ns=at_ns,
                root=np.full(idx.size, self.tickers[s]), expiry=lst.expiry[idx],
                strike=lst.strike[idx], right=lst.right[idx],
                bid=q.bid, ask=q.ask,
                last=np.round(self.last_price[idx], 4),
                volume=self.volume[idx].copy(),
                open_interest=lst.open_interest[idx].copy(),
                iv=np.round(q.iv, 6),
            ))
        return tuple(out)
