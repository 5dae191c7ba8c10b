"""Pricing engine: vectorized Black-Scholes-Merton, Greeks, implied volatility and risk."""

from optix.quant.bsm import bsm_price, rights_to_sign
from optix.quant.greeks import Greeks, black76_greeks, black76_price, bsm_greeks
from optix.quant.iv import IVResult, black76_implied_vol, implied_vol
from optix.quant.ivstatus import IVStatus

__all__ = [
    "Greeks",
    "IVResult",
    "IVStatus",
    "black76_greeks",
    "black76_implied_vol",
    "black76_price",
    "bsm_greeks",
    "bsm_price",
    "implied_vol",
    "rights_to_sign",
]
