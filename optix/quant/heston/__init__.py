"""Heston stochastic-volatility model: semi-analytic European prices and calibration.

:func:`heston_price` prices European options by the Lewis (2001) single integral with the
"little Heston trap" characteristic function, one characteristic-function grid per expiry shared
by all its strikes; :func:`calibrate_heston` fits the five parameters by bounded least squares
with the analytic Jacobian.
"""

from optix.quant.heston.calibration import (
    DEFAULT_BOUNDS,
    HestonCalibration,
    calibrate_heston,
    initial_guess,
)
from optix.quant.heston.params import HestonParams
from optix.quant.heston.pricing import heston_price

__all__ = [
    "DEFAULT_BOUNDS",
    "HestonCalibration",
    "HestonParams",
    "calibrate_heston",
    "heston_price",
    "initial_guess",
]
