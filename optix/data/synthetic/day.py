"""What one simulated session knows: its universe, listings and the quoting of any contract."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optix.core import OptionVenue
from optix.core.arrays import BoolArray, FloatArray, Int64Array
from optix.data.calendar import Session
from optix.data.synthetic.listings import Listings
from optix.data.synthetic.paths import PathBlock
from optix.data.synthetic.quotes import Quotes, quote
from optix.data.synthetic.universe import Universe

__all__ = ["OPTION_VENUE_SHARE", "DayContext"]

OPTION_VENUE_SHARE: dict[OptionVenue, float] = {
    OptionVenue.XCBO: 0.10, OptionVenue.XPHL: 0.10, OptionVenue.ARCO: 0.08,
    OptionVenue.AMXO: 0.07, OptionVenue.MPRL: 0.07, OptionVenue.BATO: 0.07,
    OptionVenue.XISX: 0.06, OptionVenue.XNDQ: 0.06, OptionVenue.XMIO: 0.05,
    OptionVenue.XBOX: 0.05, OptionVenue.MXOP: 0.05, OptionVenue.EDGO: 0.04,
    OptionVenue.C2OX: 0.04, OptionVenue.EMLD: 0.04, OptionVenue.SPHR: 0.03,
    OptionVenue.GMNI: 0.02, OptionVenue.MCRY: 0.02, OptionVenue.XBXO: 0.01,
}
"""Approximate share of US listed-option prints by exchange."""


@dataclass(frozen=True, slots=True)
class DayContext:
    """Static facts of one session plus helpers to quote contracts at a moment.

    Attributes
    ----------
    session : Session
    universe : Universe
    listings : Listings
    penny : ndarray of bool
        Symbols in the Penny Interval Program (penny quoting under $3).
    rel_spread : ndarray
        Quoted width as a fraction of value, per symbol (tighter for busy names).
    rate : float
    """

    session: Session
    universe: Universe
    listings: Listings
    penny: BoolArray
    rel_spread: FloatArray
    rate: float

    @classmethod
    def build(cls, session: Session, universe: Universe, listings: Listings,
              rate: float) -> DayContext:
        """Derive the per-symbol quoting parameters from activity rank."""
        rank = np.arange(len(universe))
        return cls(
            session=session,
            universe=universe,
            listings=listings,
            penny=rank < 350,
            rel_spread=np.where(rank < 20, 0.012, np.where(rank < 200, 0.03, 0.07)),
            rate=rate,
        )

    def quote(self, contract: Int64Array, ts_ns: npt.NDArray[np.int64] | int,
              block: PathBlock) -> Quotes:
        """Theoretical value and NBBO of ``contract`` rows at ``ts_ns`` (scalar or per row)."""
        lst, uni = self.listings, self.universe
        sym = lst.sym[contract]
        col = block.column(np.broadcast_to(np.asarray(ts_ns, dtype=np.int64), contract.shape))
        return quote(
            spot=block.spot[sym, col], strike=lst.strike[contract],
            expiry_ns=lst.expiry_ns[contract], ts_ns=ts_ns, right=lst.right[contract],
            inst_vol=block.vol[sym, col], long_vol=uni.vol[sym], skew=uni.skew[sym],
            div=uni.div_yield[sym], rate=self.rate, rel_spread=self.rel_spread[sym],
            penny=self.penny[sym],
        )

    def spot(self, sym: Int64Array, ts_ns: npt.NDArray[np.int64], block: PathBlock) -> FloatArray:
        """Underlying price of each ``sym`` at each ``ts_ns``."""
        return np.asarray(block.spot[sym, block.column(ts_ns)], dtype=np.float64)
