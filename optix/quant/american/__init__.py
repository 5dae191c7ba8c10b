"""American options under Black-Scholes-Merton: prices, implied volatilities, cash dividends.

* :func:`american_price`: vectorized prices by the QD+ fixed-point method of Andersen, Lake and
  Offengenden (``"qdfp"``, the default and the accurate one), Barone-Adesi-Whaley (``"baw"``),
  Bjerksund-Stensland 2002 (``"bs2002"``), or a Leisen-Reimer / Cox-Ross-Rubinstein lattice
  (``"binomial"`` / ``"crr"``); discrete cash dividends on the escrowed-dividend lattice.
* :func:`american_implied_vol`: implied volatilities with
  :class:`~optix.quant.ivstatus.IVStatus` reason codes, never raising for a bad price.
* :func:`european_price_cash_dividends`: European prices with cash dividends (escrowed model).

The compiled kernels live in the submodules; see :mod:`optix.quant.american.pricing` for the
rules applied before any method (expiry, zero volatility, no early exercise, negative rates).
"""

from optix.quant.american.dividends import european_price_cash_dividends
from optix.quant.american.iv import american_implied_vol
from optix.quant.american.pricing import METHODS, american_price
from optix.quant.american.qdfp import QdFpScheme

__all__ = [
    "METHODS",
    "QdFpScheme",
    "american_implied_vol",
    "american_price",
    "european_price_cash_dividends",
]
