import numpy as np
import pytest

from optix.core.enums import Condition
from optix.flow import Side, SideConfig, aggressor, classify_side, is_opening, sentiment


def test_each_bucket_and_its_edges_against_a_one_dollar_market():
    bid, ask = 1.00, 1.10
    price = np.array([1.20, 1.11, 1.1009, 1.10, 1.0991, 1.05, 1.0009, 1.00, 0.9991, 0.99, 0.90])
    expected = [Side.ABOVE_ASK, Side.ABOVE_ASK, Side.AT_ASK, Side.AT_ASK, Side.AT_ASK, Side.MID,
                Side.AT_BID, Side.AT_BID, Side.AT_BID, Side.BELOW_BID, Side.BELOW_BID]
    got = classify_side(price, bid, ask, np.zeros(price.size, np.uint32))
    assert list(got) == expected


def test_half_penny_print_in_a_one_cent_market_is_mid_and_a_locked_market_is_at_ask():
    got = classify_side([2.005, 2.00], [2.00, 2.00], [2.01, 2.00], [0, 0])
    assert list(got) == [Side.MID, Side.AT_ASK]


def test_canceled_late_out_of_sequence_and_bad_quotes_get_no_side():
    cond = np.array([Condition.CANCEL, Condition.LATE, Condition.OUT_OF_SEQUENCE,
                     Condition.ISO, 0, 0, 0, 0], dtype=np.uint32)
    bid = np.array([1.0, 1.0, 1.0, 1.0, np.nan, 1.2, 1.0, -0.1])
    ask = np.array([1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 0.0, 1.1])
    got = classify_side(1.1, bid, ask, cond)
    # the ISO flag does not remove the side; a missing, crossed, zero-ask or negative-bid
    # quote does
    assert list(got) == [Side.NONE, Side.NONE, Side.NONE, Side.AT_ASK, Side.NONE, Side.NONE,
                         Side.NONE, Side.NONE]


def test_sentiment_is_bullish_for_bought_calls_and_sold_puts_and_bearish_for_the_mirror():
    side = np.array([Side.ABOVE_ASK, Side.AT_ASK, Side.AT_BID, Side.BELOW_BID, Side.AT_ASK,
                     Side.AT_BID, Side.MID, Side.NONE, Side.AT_ASK])
    right = np.array([1, 1, 1, 1, -1, -1, 1, -1, 0], dtype=np.int8)
    assert list(sentiment(side, right)) == [1, 1, -1, -1, -1, 1, 0, 0, 0]
    assert list(aggressor(side)) == [1, 1, -1, -1, 1, -1, 0, 0, 1]


def test_opening_heuristic_compares_size_with_open_interest_left_after_earlier_volume():
    # OI 1,000; 950 traded earlier today, then a print of 60: 60 > 1000 - (1010 - 60) = 50
    assert is_opening([60, 50, 60, 60], [1000, 1000, np.nan, -1], [1010, 1000, 1010, 1010]
                      ).tolist() == [True, False, False, False]


def test_tolerance_is_validated():
    with pytest.raises(ValueError, match="quote_tolerance"):
        SideConfig(quote_tolerance=-0.01)
    wide = SideConfig(quote_tolerance=0.03)
    assert classify_side(1.08, 1.0, 1.1, 0, wide) == Side.AT_ASK
