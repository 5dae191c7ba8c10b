import datetime as dt

import numpy as np
import pytest

from optix.core import Condition, EquityVenue
from optix.data.synthetic import EventKind, PlantingRules, SyntheticConfig, SyntheticMarket

K = EventKind
RULES = PlantingRules()


def small(**kw):
    base = dict(n_symbols=40, seed=11, start=dt.date(2026, 3, 30), option_trades_per_day=150_000,
                planted_per_day=400, block_seconds=60, batch_seconds=30, chain_every_s=1800,
                chain_symbols=3)
    base.update(kw)
    return SyntheticConfig(**base)


@pytest.fixture(scope="module")
def day():
    market = SyntheticMarket(small())
    batches = list(market.batches())
    trades = type(batches[0].trades).concat([b.trades for b in batches])
    equities = type(batches[0].equities).concat([b.equities for b in batches])
    labels = [lb for b in batches for lb in b.labels]
    return market, batches, trades, equities, labels


def test_same_seed_gives_the_same_tape():
    a = [b for _, b in zip(range(5), SyntheticMarket(small()).batches(), strict=False)]
    b = [b for _, b in zip(range(5), SyntheticMarket(small()).batches(), strict=False)]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.trades.price, y.trades.price)
        np.testing.assert_array_equal(x.trades.ts_ns, y.trades.ts_ns)
    c = next(iter(SyntheticMarket(small(seed=12)).batches()))
    assert not np.array_equal(c.trades.price[:50], a[0].trades.price[:50])


def test_batches_are_valid_ordered_and_counted(day):
    market, batches, trades, equities, _ = day
    assert [b.offset for b in batches] == list(range(len(batches)))
    assert trades.validate().n_rejected == 0
    assert equities.validate().n_rejected == 0
    assert np.all(np.diff(trades.seq) == 1)
    for b in batches:
        assert np.all(np.diff(b.trades.ts_ns) >= 0)
        if len(b.trades):
            assert b.start_ns <= b.trades.ts_ns.min() and b.trades.ts_ns.max() < b.end_ns
    assert market.stats.accepted["option_trade"] == len(trades)
    assert market.stats.total_rejected() == 0
    assert 0.8 * 150_000 < len(trades) < 1.3 * 150_000
    assert market.planted_skipped == 0


def test_resuming_from_an_offset_replays_the_same_batches(day):
    _, batches, *_ = day
    resumed = next(iter(SyntheticMarket(small()).batches(start_offset=200)))
    assert resumed.offset == 200
    np.testing.assert_array_equal(resumed.trades.seq, batches[200].trades.seq)


def test_activity_is_heavy_tailed_and_u_shaped(day):
    _, batches, trades, *_ = day
    names, counts = np.unique(trades.underlying, return_counts=True)
    share = np.sort(counts)[::-1] / counts.sum()
    assert share[:3].sum() > 0.3  # a few names carry most of the flow
    assert set(names[np.argsort(counts)[::-1][:2]]) == {"SPY", "QQQ"}
    minutes = (trades.ts_ns - batches[0].start_ns) / 60e9
    first = np.sum(minutes < 30)
    middle = np.sum((minutes >= 180) & (minutes < 210))
    last = np.sum(minutes >= 360)
    assert first > 1.5 * middle and last > 1.5 * middle


def test_prints_sit_on_real_venues_and_around_the_nbbo(day):
    _, _, trades, equities, _ = day
    assert len(np.unique(trades.venue)) >= 15
    at_ask = np.mean(trades.price == trades.ask)
    at_bid = np.mean(trades.price == trades.bid)
    above = np.mean(trades.price > trades.ask)
    below = np.mean(trades.price < trades.bid)
    assert 0.25 < at_ask < 0.5 and 0.2 < at_bid < 0.45
    assert 0.005 < above < 0.05 and 0.005 < below < 0.05
    flags = trades.conditions
    for flag in (Condition.ISO, Condition.AUCTION, Condition.MULTI_LEG, Condition.LATE,
                 Condition.CANCEL, Condition.OUT_OF_SEQUENCE):
        assert np.any(flags & int(flag)), flag
    off = equities.venue >= 100
    assert 0.3 < off.mean() < 0.5
    delay = equities.ts_ns[off] - equities.exec_ts_ns[off]
    assert np.all(delay >= 0) and np.median(delay) < 50e6 and delay.max() > 1e9
    assert np.all(equities.ts_ns[~off] == equities.exec_ts_ns[~off])


def test_background_stays_inside_every_rule(day):
    _, _, trades, equities, labels = day
    planted = {s for lb in labels if lb.stream == "option" for s in lb.seqs}
    bg = ~np.isin(trades.seq, np.fromiter(planted, dtype=np.int64))
    assert trades.premium[bg].max() < RULES.background_max_premium
    assert np.all(trades.conditions[bg] & int(Condition.MULTI_LEG) == 0)
    dark = {s for lb in labels if lb.stream == "equity" for s in lb.seqs}
    ebg = ~np.isin(equities.seq, np.fromiter(dark, dtype=np.int64))
    off = ebg & (equities.venue >= 100)
    big = (equities.size >= RULES.dark_min_shares) & (
        equities.price * equities.size >= RULES.dark_min_notional)
    assert not np.any(off & big)


def _rows(trades, label):
    idx = np.searchsorted(trades.seq, label.seqs)
    return trades.take(idx)


def _aggressive(rows):
    return np.all(rows.price >= rows.ask) or np.all(rows.price <= rows.bid)


def test_every_kind_and_decoy_is_planted(day):
    *_, labels = day
    kinds = {lb.kind for lb in labels if not lb.is_decoy}
    assert kinds == set(EventKind)
    decoys = {(lb.decoy_of, lb.miss.split()[0]) for lb in labels if lb.is_decoy}
    assert {d for d, _ in decoys} == set(EventKind)
    assert all(lb.miss for lb in labels if lb.is_decoy)


def test_sweeps_and_splits_meet_the_rules_and_their_decoys_miss(day):
    _, _, trades, _, labels = day
    window = RULES.sweep_window_s * 1e9
    for lb in labels:
        if lb.kind not in (K.SWEEP, K.SPLIT) and lb.decoy_of not in (K.SWEEP, K.SPLIT):
            continue
        rows = _rows(trades, lb)
        assert len(np.unique(rows.strike)) == 1
        legs, venues = len(rows), len(np.unique(rows.venue))
        span = rows.ts_ns.max() - rows.ts_ns.min()
        leg_ok = rows.premium.min() >= RULES.sweep_min_leg_premium
        assert _aggressive(rows)
        rule = legs >= RULES.sweep_min_legs and span <= window and leg_ok
        if lb.kind is K.SWEEP:
            assert rule and venues >= RULES.sweep_min_venues
        elif lb.kind is K.SPLIT:
            assert rule and venues == 1
        else:
            assert not rule, lb
            if lb.miss.startswith("leg premium"):
                assert rows.premium.min() == RULES.sweep_min_leg_premium - 1
            if lb.miss.startswith("span"):
                assert span == window + 100e6


def test_blocks_and_repeated_hits_meet_the_rules_and_their_decoys_miss(day):
    _, _, trades, _, labels = day
    for lb in labels:
        rows = _rows(trades, lb) if lb.stream == "option" else None
        if K.BLOCK in (lb.kind, lb.decoy_of):
            assert len(rows) == 1
            size, prem = int(rows.size[0]), float(rows.premium[0])
            ok = size >= RULES.block_min_size and prem >= RULES.block_min_premium
            assert ok == (lb.kind is K.BLOCK)
            if lb.miss.startswith("premium"):
                assert prem == pytest.approx(RULES.block_min_premium - 1, abs=1e-6)
            if "contracts" in lb.miss:
                assert size == RULES.block_min_size - 1 and prem >= RULES.block_min_premium
        if K.REPEATED_HITS in (lb.kind, lb.decoy_of):
            span = rows.ts_ns.max() - rows.ts_ns.min()
            ok = (len(rows) >= RULES.repeat_min_hits and span <= RULES.repeat_window_s * 1e9
                  and rows.premium.sum() >= RULES.repeat_min_premium)
            assert ok == (lb.kind is K.REPEATED_HITS), lb
            assert rows.premium.max() < RULES.sweep_min_leg_premium  # never also a sweep


def test_unusual_volume_crosses_open_interest_only_when_labelled(day):
    _, batches, trades, _, labels = day
    ref = batches[0].reference
    for lb in labels:
        if K.UNUSUAL_VOLUME not in (lb.kind, lb.decoy_of):
            continue
        rows = _rows(trades, lb)
        i = np.flatnonzero((ref.strike == rows.strike[0]) & (ref.expiry == rows.expiry[0])
                           & (ref.right == rows.right[0]) & (ref.underlying == lb.underlying))
        oi, avg = int(ref.open_interest[i[0]]), float(ref.avg_volume[i[0]])
        same = ((trades.underlying == lb.underlying) & (trades.strike == rows.strike[0])
                & (trades.expiry == rows.expiry[0]) & (trades.right == rows.right[0]))
        volume = int(trades.size[same].sum())
        assert volume == lb.size  # nothing but the burst traded on it all day
        ok = volume > oi * RULES.unusual_min_oi_ratio and volume >= \
            RULES.unusual_min_avg_multiple * avg
        assert ok == (lb.kind is K.UNUSUAL_VOLUME), lb


def test_no_unlabelled_contract_trades_above_its_open_interest(day):
    _, batches, trades, _, labels = day
    ref = batches[0].reference
    key_ref = {(u, e, k, r): oi for u, e, k, r, oi in zip(
        ref.underlying, ref.expiry, ref.strike, ref.right, ref.open_interest, strict=True)}
    uv = {lb.contract for lb in labels if K.UNUSUAL_VOLUME in (lb.kind, lb.decoy_of)}
    df = trades.to_pandas()
    vol = df.groupby(["underlying", "expiry", "strike", "right"])["size"].sum()
    from optix.core import Right, format_occ
    for (u, e, k, r), v in vol.items():
        occ = format_occ(u, e.date(), Right(int(r)), float(k))
        if occ not in uv:
            assert v < key_ref[(u, np.datetime64(e, "D"), k, r)], occ


def test_dark_pool_prints_and_decoys(day):
    _, _, _, equities, labels = day
    for lb in labels:
        if K.DARK_POOL not in (lb.kind, lb.decoy_of):
            continue
        j = int(np.searchsorted(equities.seq, lb.seqs[0]))
        size, price = int(equities.size[j]), float(equities.price[j])
        off = EquityVenue(int(equities.venue[j])).is_off_exchange
        ok = off and size >= RULES.dark_min_shares and price * size >= RULES.dark_min_notional
        assert ok == (lb.kind is K.DARK_POOL), lb
        if lb.miss.startswith("notional"):
            assert RULES.dark_min_notional - 2 < price * size < RULES.dark_min_notional


def test_spreads_are_flagged_simultaneous_legs(day):
    _, _, trades, _, labels = day
    for lb in labels:
        if K.SPREAD not in (lb.kind, lb.decoy_of):
            continue
        rows = _rows(trades, lb)
        assert len(rows) in (2, 4)
        flagged = np.all(rows.conditions & int(Condition.MULTI_LEG))
        span = rows.ts_ns.max() - rows.ts_ns.min()
        assert (flagged and span <= RULES.spread_window_s * 1e9) == (lb.kind is K.SPREAD)


def test_chain_snapshots_and_reference(day):
    _, batches, *_ = day
    chains = [c for b in batches for c in b.chains]
    assert len(chains) >= 3 * 12
    spy = [c for c in chains if c.underlying == "SPY"]
    last = spy[-1]
    assert last.validate().n_rejected == 0
    assert len(np.unique(last.expiry)) >= 15  # dailies, weeklies, monthlies, LEAPS
    assert last.volume.sum() > 0 and np.all(last.open_interest > 0)
    atm = np.argmin(np.abs(last.strike - last.spot))
    assert 0.05 < last.iv[atm] < 1.0
    puts = last.right == -1
    otm_put = puts & (last.strike < 0.9 * last.spot) & (last.expiry == last.expiry[atm])
    assert np.all(last.iv[otm_put] > last.iv[atm])  # put skew
    assert batches[0].reference is not None and batches[1].reference is None


def test_planting_rules_reject_inconsistent_thresholds():
    with pytest.raises(ValueError, match="background_max_premium"):
        PlantingRules(background_max_premium=20_000)
    with pytest.raises(ValueError, match="repeat_min_hits"):
        PlantingRules(repeat_min_hits=5)
    with pytest.raises(ValueError, match="n_symbols"):
        SyntheticConfig(n_symbols=0)
