"""Pricing engine: vectorized Black-Scholes-Merton (the quant core issue extends this)."""

from optix.quant.bsm import bsm_price, rights_to_sign

__all__ = ["bsm_price", "rights_to_sign"]
