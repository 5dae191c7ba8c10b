import pytest

from optix.data.feed import SourceStats
from optix.data.replay import read_cboe_quotedata
from tests.shared_data import SPY_CHAIN, require


@pytest.fixture(scope="session")
def spy_chain():
    """The real CBOE SPY chain of 2025-09-25 (3,716 contracts)."""
    require(SPY_CHAIN)
    return read_cboe_quotedata(SPY_CHAIN, SourceStats())
