import numpy as np

from optix.core import EquityPrintBatch, EquityVenue, RejectReason

T0 = int(np.datetime64("2025-02-20T15:00:00", "ns").astype(np.int64))


def make(**override) -> EquityPrintBatch:
    cols = {
        "ts_ns": [T0, T0 + 1, T0 + 2, T0 + 3],
        "seq": [1, 2, 3, 4],
        "symbol": ["AAPL"] * 4,
        "price": [245.1, 245.2, 245.0, 245.1],
        "size": [100, 50_000, 200, 10],
        "venue": ["XNAS", "FINN", "FINY", "ARCX"],
        "bid": [245.0] * 4,
        "ask": [245.2] * 4,
    }
    cols.update(override)
    return EquityPrintBatch.from_columns(**cols)


def test_off_exchange_prints_are_the_trf_ones():
    b = make()
    assert b.off_exchange.tolist() == [False, True, True, False]
    assert EquityVenue.FINN.is_off_exchange and not EquityVenue.XNAS.is_off_exchange


def test_exec_time_defaults_to_report_time_and_delay_is_their_difference():
    b = make()
    assert b.report_delay_ns.tolist() == [0, 0, 0, 0]
    late = make(exec_ts_ns=[T0, T0 + 1 - 5_000_000_000, T0 + 2, T0 + 3])
    assert late.report_delay_ns.tolist()[1] == 5_000_000_000


def test_notional_is_price_times_shares():
    assert make().notional[1] == 245.2 * 50_000


def test_validate_rejects_bad_prints_with_reasons():
    b = make(
        price=[245.1, np.nan, -1.0, 245.1],
        venue=["XNAS", "FINN", "FINY", "MOON"],
        exec_ts_ns=[T0 + 10, T0 + 1, T0 + 2, T0 + 3],
    )
    v = b.validate()
    assert dict(zip(v.rejected_index.tolist(), v.reasons.tolist(), strict=True)) == {
        0: RejectReason.BAD_TIMESTAMP,
        1: RejectReason.NAN_FIELD,
        2: RejectReason.NONPOSITIVE_PRICE,
        3: RejectReason.UNKNOWN_VENUE,
    }
    assert len(v.clean) == 0


def test_integer_venue_codes_outside_the_enum_become_unknown():
    b = make(venue=np.array([1, 100, 250, 0]))
    assert b.venue.tolist() == [EquityVenue.XNYS, EquityVenue.FINN, 0, 0]
