"""Request and response bodies of the pricing API (``/v1/pricing``).

Units everywhere (the same as :mod:`optix.quant`): ``S``, ``K`` and prices in currency per unit
of underlying; ``T`` in years; ``r``, ``q`` continuously compounded decimals (0.05 is 5 %);
``sigma`` a decimal per year (0.2 is 20 %). Greeks are per 1.00 of their variable (see
:mod:`optix.quant.greeks`): ``vega`` per 1.00 of vol (divide by 100 for a vol point), ``theta``
per year of calendar time (divide by 365 for a day), ``rho`` per 1.00 of rate.

Single contracts are validated field by field by pydantic. Column requests (batches of up to
:data:`MAX_BATCH_ROWS` rows) take each column as a scalar (broadcast) or a list; their bounds
are checked with numpy in one model validator, and an error names the field (``loc``), the rule
and the first bad row, never echoing a 100,000-row list back. ``from_json`` of a column model is
the fast path for large bodies: orjson, then each list of numbers into a numpy array in one call,
the same checks and errors (bodies off that path go through pydantic).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, Self, cast

import numpy as np
import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "GREEK_NAMES",
    "MAX_BATCH_ROWS",
    "MAX_PRICE",
    "AmericanIn",
    "AmericanOut",
    "BatchIn",
    "BatchOut",
    "HestonIn",
    "HestonOut",
    "IVIn",
    "IVOut",
    "MonteCarloIn",
    "MonteCarloOut",
    "OptionIn",
    "PriceOut",
]

MAX_BATCH_ROWS = 100_000

MAX_PRICE = 1e9
"""Largest spot, strike or option price accepted (any listed underlying is far below; beyond
it the Monte Carlo statistics overflow)."""
"""Most rows in one column request (``/price/batch``, ``/iv``)."""

GREEK_ORDER: dict[str, int] = {
    "delta": 1, "gamma": 1, "vega": 1, "theta": 1, "rho": 1, "epsilon": 1,
    "vanna": 2, "charm": 2, "vomma": 2, "veta": 2,
    "speed": 3, "zomma": 3, "color": 3,
}
"""Each Greek and the ``order`` of :func:`optix.quant.bsm_greeks` that computes it."""

GREEK_NAMES: tuple[str, ...] = tuple(GREEK_ORDER)

GreekName = Literal[
    "delta", "gamma", "vega", "theta", "rho", "epsilon",
    "vanna", "charm", "vomma", "veta", "speed", "zomma", "color",
]

_CALLS = ("c", "C", "call", "CALL", "Call")
_PUTS = ("p", "P", "put", "PUT", "Put")

# --------------------------------------------------------------------------- field pieces

_S = Field(gt=0, le=MAX_PRICE, allow_inf_nan=False,
           description="Spot, 0 < S <= 1e9 (currency per unit).")
_K = Field(gt=0, le=MAX_PRICE, allow_inf_nan=False,
           description="Strike, 0 < K <= 1e9 (currency per unit).")
_T = Field(gt=0, le=100, allow_inf_nan=False, description="Time to expiry in years, 0 < T <= 100.")
_R = Field(0.0, ge=-1, le=1, allow_inf_nan=False,
           description="Risk-free rate, continuously compounded decimal in [-1, 1].")
_Q = Field(0.0, ge=-1, le=1, allow_inf_nan=False,
           description="Dividend yield, continuously compounded decimal in [-1, 1].")
_SIGMA = Field(gt=0, le=10, allow_inf_nan=False,
               description="Volatility, decimal per year, 0 < sigma <= 10.")
_RIGHT = Field(description="'call' or 'put' (also 'c'/'p', any case).")


def _normalize_right(value: Any) -> Any:
    """``'c'``/``'p'`` from call/put spellings; anything else is passed on to fail the Literal."""
    if isinstance(value, str):
        if value.strip() in _CALLS:
            return "c"
        if value.strip() in _PUTS:
            return "p"
    return value


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- columns

# (lower, lower inclusive, upper, upper inclusive); None means unbounded. Finite always.
_Rule = tuple[float | None, bool, float | None, bool]
_RULES: dict[str, _Rule] = {
    "S": (0.0, False, MAX_PRICE, True),
    "K": (0.0, False, MAX_PRICE, True),
    "T": (0.0, False, 100.0, True),
    "r": (-1.0, True, 1.0, True),
    "q": (-1.0, True, 1.0, True),
    "sigma": (0.0, False, 10.0, True),
    "price": (0.0, False, MAX_PRICE, True),
}

# list first, left to right: a 100,000-row list validates about twice as fast as in smart mode
Column = Annotated[list[float] | float, Field(union_mode="left_to_right")]
RightColumn = Annotated[list[str] | str, Field(union_mode="left_to_right")]
_SIGN = {**dict.fromkeys(_CALLS, 1.0), **dict.fromkeys(_PUTS, -1.0)}


def _rule_text(rule: _Rule) -> str:
    lo, lo_inc, hi, hi_inc = rule
    parts = []
    if lo is not None:
        parts.append(f"{'>=' if lo_inc else '>'} {lo:g}")
    if hi is not None:
        parts.append(f"{'<=' if hi_inc else '<'} {hi:g}")
    return " and ".join([*parts, "finite"])


def _error(loc_field: str, kind: str, message: str, value: Any, **ctx: Any) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(kind, message, ctx or None), loc=(loc_field,),
                            input=value)



def _column_arrays(model: type[_Columns], values: dict[str, Any]
                   ) -> tuple[dict[str, np.ndarray], int]:
    """Check the columns of a column request; float64 arrays of the batch length and ``n``.

    ``values`` holds each numeric column of ``model._numeric`` (a number, a list of numbers or
    a 1-d array) and ``right`` (a string or a list of strings). Errors name the field, the rule
    and the first bad row, and never echo a whole column.

    Raises
    ------
    pydantic.ValidationError
        Too many rows, lists of different lengths, an empty batch, a value out of its bounds
        or not finite, an unknown ``right``.
    """
    title = model.__name__
    numeric = model._numeric
    max_rows = model.max_rows
    errors: list[InitErrorDetails] = []
    lengths = {name: len(v) for name in (*numeric, "right")
               if isinstance(v := values[name], list | np.ndarray)}
    n = max(lengths.values(), default=1)
    if n > max_rows:
        longest = max(lengths, key=lambda k: lengths[k])
        errors.append(_error(longest, "too_long",
                             "{field} has {rows} rows; at most {max_rows} per request",
                             lengths[longest], field=longest, rows=n, max_rows=max_rows))
        raise ValidationError.from_exception_data(title, errors)
    ref = next(iter(lengths), None)
    if ref is not None:
        n = lengths[ref]
    for name, size in lengths.items():
        if size != n:
            errors.append(_error(name, "length_mismatch",
                                 "{field} has {rows} rows but {ref} has {n}; every list "
                                 "must have the batch length (or be a scalar)", size,
                                 field=name, rows=size, ref=ref, n=n))
    if n == 0:
        errors.append(_error(next(iter(lengths)), "too_short",
                             "a batch needs at least 1 row", 0))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    arrays: dict[str, np.ndarray] = {}
    for name in numeric:
        arr = np.asarray(values[name], dtype=np.float64)
        rule = _RULES[name]
        lo, lo_inc, hi, hi_inc = rule
        ok = np.isfinite(arr)
        if lo is not None:
            ok &= (arr >= lo) if lo_inc else (arr > lo)
        if hi is not None:
            ok &= (arr <= hi) if hi_inc else (arr < hi)
        if not ok.all():
            bad = np.flatnonzero(~ok.reshape(-1))
            first = float(arr.reshape(-1)[bad[0]])
            errors.append(_error(
                name, "out_of_range",
                "{field} must be {rule}; row {row} is {bad} ({count} bad rows)",
                first if np.isfinite(first) else repr(first), field=name,
                rule=_rule_text(rule), row=int(bad[0]),
                bad=repr(first), count=int(bad.size)))
        arrays[name] = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
    right = values["right"]
    rights = [right] if isinstance(right, str) else right
    unknown = set(rights).difference(_SIGN)
    if unknown:
        row = next(i for i, v in enumerate(rights) if v in unknown)
        errors.append(_error("right", "right_unknown",
                             "right must be 'call'/'put' or 'c'/'p'; row {row} is {bad}",
                             rights[row], row=row, bad=repr(rights[row])))
    if errors:
        raise ValidationError.from_exception_data(title, errors)
    sign = np.fromiter(map(_SIGN.__getitem__, rights), dtype=np.float64, count=len(rights))
    arrays["w"] = np.broadcast_to(sign, (n,)) if sign.size == 1 else sign
    return arrays, n


class _Columns(_Request):
    """Columns of contracts: each field a scalar (broadcast to every row) or a list of ``n``.

    Subclasses list their numeric columns in ``_numeric`` (checked against :data:`_RULES`)
    and set ``max_rows``. After validation :meth:`arrays` gives float64 numpy columns of the
    batch length and :meth:`signs` the +1/-1 call/put codes.
    """

    S: Column = Field(description="Spot(s), 0 < S <= 1e9 (currency per unit).")
    K: Column = Field(description="Strike(s), 0 < K <= 1e9 (currency per unit).")
    T: Column = Field(description="Years to expiry, 0 < T <= 100.")
    r: Column = Field(0.0, description="Risk-free rate(s), continuous decimal in [-1, 1].")
    q: Column = Field(0.0, description="Dividend yield(s), continuous decimal in [-1, 1].")
    right: RightColumn = Field(description="'call'/'put' or 'c'/'p' (any case), or a list.")

    _numeric: ClassVar[tuple[str, ...]] = ("S", "K", "T", "r", "q")
    _fast_fields: ClassVar[frozenset[str]] = frozenset(
        {"S", "K", "T", "r", "q", "sigma", "price", "right", "greeks"})
    max_rows: ClassVar[int] = MAX_BATCH_ROWS
    _arrays: dict[str, np.ndarray] = PrivateAttr(default_factory=dict)
    _n: int = PrivateAttr(1)

    @model_validator(mode="after")
    def _check_columns(self) -> _Columns:
        values = {name: getattr(self, name) for name in (*self._numeric, "right")}
        self._arrays, self._n = _column_arrays(type(self), values)
        return self

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        """Parse and validate a JSON body, list columns straight into numpy arrays.

        The fast path for large batches: :mod:`orjson` parses the body and each list column of
        plain numbers becomes a float64 array in one :func:`numpy.array` call, instead of
        pydantic validating every element. The bounds, lengths and ``right`` codes are checked
        by the same code as :meth:`model_validate`, with the same errors. Anything else (a
        column holding strings, booleans only, nulls or nested lists, a missing or unknown
        field, a subclass with extra fields of its own) goes through :meth:`model_validate`,
        so the errors are exactly pydantic's. ``NaN`` and ``Infinity`` literals, which orjson
        rejects, are read by :func:`json.loads` as Python's JSON does, then fail the bounds.

        Parameters
        ----------
        raw : bytes or str
            The request body.

        Returns
        -------
        _Columns
            The validated request (:meth:`arrays` and :attr:`n` ready).

        Raises
        ------
        pydantic.ValidationError
            ``json_invalid`` (location ``()``) for a body that is not JSON, otherwise the
            errors of :meth:`model_validate`, each naming its field.
        """
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            try:  # NaN / Infinity literals (Python's json writes them), huge exponents
                obj = json.loads(raw)
            except (ValueError, RecursionError):
                raise ValidationError.from_exception_data(cls.__name__, [InitErrorDetails(
                    type="json_invalid", loc=(), input={}, ctx={"error": str(exc)})]) from None
        fast = cls._fast_values(obj)
        if fast is None:
            return cls.model_validate(obj)
        arrays, n = _column_arrays(cls, fast)
        model = cast(Self, cls.model_construct(**obj))
        model._arrays, model._n = arrays, n
        return model

    @classmethod
    def _fast_values(cls, obj: Any) -> dict[str, Any] | None:
        """Columns of ``obj`` as numpy arrays and rights, or None to let pydantic decide."""
        fields = cls.model_fields
        if (not isinstance(obj, dict) or not obj.keys() <= fields.keys()
                or set(fields).difference(cls._fast_fields)):
            return None
        out: dict[str, Any] = {}
        for name, info in fields.items():
            if name in obj:
                value = obj[name]
            elif info.is_required():
                return None
            else:
                value = info.get_default(call_default_factory=True)
            if value is None:
                return None
            if name == "greeks":
                if (not isinstance(value, list) or len(value) > len(GREEK_NAMES)
                        or not all(isinstance(g, str) and g in GREEK_ORDER for g in value)):
                    return None
            elif name == "right":
                if isinstance(value, list):
                    try:
                        kinds = set(value)
                    except TypeError:
                        return None
                    if not all(type(v) is str for v in kinds):
                        return None
                elif type(value) is not str:
                    return None
                out[name] = value
            elif type(value) in (int, float):
                out[name] = np.float64(value)
            elif isinstance(value, list):
                try:
                    arr = np.array(value)
                except (ValueError, TypeError, OverflowError):
                    return None
                if arr.ndim != 1 or (arr.dtype.kind not in "fi" and arr.size):
                    return None
                out[name] = arr.astype(np.float64, copy=False)
            else:
                return None
        return out

    @property
    def n(self) -> int:
        """Rows in the batch (1 when every column is a scalar)."""
        return self._n

    def arrays(self) -> dict[str, np.ndarray]:
        """Validated float64 columns of length :attr:`n`, keyed by field; ``w`` is +1/-1."""
        return self._arrays


# --------------------------------------------------------------------------- single contract


class _Contract(_Request):
    """The fields of one European contract, shared by the single-contract models."""

    S: float = _S
    K: float = _K
    T: float = _T
    r: float = _R
    q: float = _Q
    right: Literal["c", "p"] = _RIGHT

    @field_validator("right", mode="before")
    @classmethod
    def _right(cls, value: Any) -> Any:
        return _normalize_right(value)


class OptionIn(_Contract):
    """One European option to price under Black-Scholes-Merton."""

    sigma: float = _SIGMA
    greeks_order: int = Field(1, ge=1, le=3, description="1: price and first-order Greeks; "
                              "2 adds vanna, charm, vomma, veta; 3 adds speed, zomma, color.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"S": 42, "K": 40, "T": 0.5, "r": 0.1, "q": 0, "sigma": 0.2, "right": "call"}]})


class PriceOut(BaseModel):
    """Price and Greeks of one option.

    Units as in the module docstring (per 1.00 of the variable, theta per year). Second- and
    third-order Greeks are null unless ``greeks_order`` asked for them.
    """

    price: float | None = Field(description="Option value, currency per unit of underlying.")
    delta: float | None = Field(description="dV/dS, per unit of underlying.")
    gamma: float | None = Field(description="d2V/dS2, per unit squared.")
    vega: float | None = Field(description="dV/dsigma, per 1.00 of vol (/100 for a vol point).")
    theta: float | None = Field(description="-dV/dT, per year (/365 for a calendar day).")
    rho: float | None = Field(description="dV/dr, per 1.00 of rate (/100 for 1 %).")
    epsilon: float | None = Field(description="dV/dq, per 1.00 of dividend yield.")
    vanna: float | None = Field(None, description="d2V/dS dsigma (order >= 2).")
    charm: float | None = Field(None, description="-d(delta)/dT, per year (order >= 2).")
    vomma: float | None = Field(None, description="d2V/dsigma2 (order >= 2).")
    veta: float | None = Field(None, description="-d(vega)/dT, per year (order >= 2).")
    speed: float | None = Field(None, description="d3V/dS3 (order 3).")
    zomma: float | None = Field(None, description="d(gamma)/dsigma (order 3).")
    color: float | None = Field(None, description="-d(gamma)/dT, per year (order 3).")


# --------------------------------------------------------------------------- batch


_DEFAULT_GREEKS: tuple[GreekName, ...] = ("delta", "gamma", "vega", "theta", "rho")


class BatchIn(_Columns):
    """Up to 100,000 European options as columns; each column a list or a scalar to broadcast."""

    sigma: Column = Field(description="Volatility(ies), decimal per year, 0 < sigma <= 10.")
    greeks: list[GreekName] = Field(
        default_factory=lambda: list(_DEFAULT_GREEKS),
        max_length=len(GREEK_NAMES),
        description="Greeks to return as columns besides the price (any of "
                    + ", ".join(GREEK_NAMES) + ").")

    _numeric: ClassVar[tuple[str, ...]] = ("S", "K", "T", "r", "q", "sigma")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"S": [42, 42], "K": [40, 45], "T": 0.5, "r": 0.1, "q": 0, "sigma": 0.2,
         "right": ["call", "put"], "greeks": ["delta", "vega"]}]})

    @property
    def order(self) -> int:
        """The ``bsm_greeks`` order that covers every requested Greek."""
        return max((GREEK_ORDER[g] for g in self.greeks), default=1)


class BatchOut(BaseModel):
    """Prices and requested Greeks as columns of the batch length (null where not a number)."""

    n: int = Field(description="Rows.")
    price: list[float | None] = Field(description="Option values, currency per unit.")
    greeks: dict[str, list[float | None]] = Field(
        description="Requested Greeks by name, each a column (units as in PriceOut).")


# --------------------------------------------------------------------------- implied vol


class IVIn(_Columns):
    """Black-Scholes-Merton implied volatility of one price or a column of up to 100,000."""

    price: Column = Field(description="Option price(s), 0 < price <= 1e9 (currency per unit).")

    _numeric: ClassVar[tuple[str, ...]] = ("price", "S", "K", "T", "r", "q")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"price": 4.76, "S": 42, "K": 40, "T": 0.5, "r": 0.1, "q": 0, "right": "call"}]})


class IVOut(BaseModel):
    """Implied vols with a reason code per row: null vol where the status is not ``OK``."""

    n: int = Field(description="Rows.")
    vol: list[float | None] = Field(description="Implied volatility, decimal per year.")
    status: list[str] = Field(description="IVStatus name per row: OK, BELOW_INTRINSIC, "
                              "ABOVE_UPPER_BOUND, AT_INTRINSIC, VEGA_NEGLIGIBLE, "
                              "NO_CONVERGENCE, BAD_INPUT.")


# --------------------------------------------------------------------------- American

LATTICE_BUDGET = 2_000_000
"""Most ``rows x steps`` in one lattice request (binomial, crr)."""


class AmericanIn(_Columns):
    """American options (up to 10,000 rows) under Black-Scholes-Merton."""

    sigma: Column = Field(description="Volatility(ies), decimal per year, 0 < sigma <= 10.")
    method: Literal["qdfp", "baw", "bs2002", "binomial", "crr"] = Field(
        "qdfp", description="qdfp: QD+ fixed point (~3e-5); baw: Barone-Adesi-Whaley; "
                            "bs2002: Bjerksund-Stensland; binomial: Leisen-Reimer; crr: CRR.")
    steps: int | None = Field(None, ge=10, le=5001,
                              description="Lattice steps (default 801); rows x steps "
                                          f"<= {LATTICE_BUDGET:,} for lattices.")

    _numeric: ClassVar[tuple[str, ...]] = ("S", "K", "T", "r", "q", "sigma")
    max_rows: ClassVar[int] = 10_000

    @model_validator(mode="after")
    def _check_budget(self) -> AmericanIn:
        steps = self.steps or 801
        if self.method in ("binomial", "crr") and self.n * steps > LATTICE_BUDGET:
            raise ValidationError.from_exception_data(type(self).__name__, [_error(
                "steps", "too_large",
                "{rows} rows x {steps} steps exceed the lattice budget of {budget}",
                self.steps, rows=self.n, steps=steps, budget=LATTICE_BUDGET)])
        return self


class AmericanOut(BaseModel):
    """American prices, currency per unit of underlying, one per row."""

    n: int = Field(description="Rows.")
    method: str = Field(description="Method used.")
    price: list[float | None] = Field(description="American option values.")


# --------------------------------------------------------------------------- Heston


class HestonIn(_Columns):
    """European options (up to 10,000 rows) under Heston (1993) stochastic volatility."""

    v0: float = Field(ge=0, le=4, allow_inf_nan=False,
                      description="Initial variance (vol squared), in [0, 4].")
    kappa: float = Field(gt=0, le=50, allow_inf_nan=False,
                         description="Mean-reversion speed of the variance per year, (0, 50].")
    theta: float = Field(ge=0, le=4, allow_inf_nan=False,
                         description="Long-run variance, in [0, 4].")
    xi: float = Field(gt=0, le=5, allow_inf_nan=False,
                      description="Volatility of variance ('vol of vol', often sigma), (0, 5].")
    rho: float = Field(gt=-1, lt=1, allow_inf_nan=False,
                       description="Spot/variance correlation, in (-1, 1).")

    max_rows: ClassVar[int] = 10_000


class HestonOut(BaseModel):
    """Heston prices, currency per unit of underlying, one per row."""

    n: int = Field(description="Rows.")
    price: list[float | None] = Field(description="European option values under Heston.")


# --------------------------------------------------------------------------- Monte Carlo

MC_BUDGET = 20_000_000
"""Most ``paths x steps`` for a synchronous Monte Carlo request; larger runs are cluster jobs."""


class MonteCarloIn(_Contract):
    """A small Monte Carlo price (paths <= 200,000, steps <= 500); large runs are jobs."""

    model: Literal["gbm", "heston", "merton"] = Field("gbm", description="Dynamics.")
    payoff: Literal["european", "asian", "barrier", "lookback"] = Field(
        "european", description="Payoff.")
    sigma: float | None = Field(None, ge=0, le=10, allow_inf_nan=False,
                                description="Diffusion vol (gbm, merton), decimal per year.")
    v0: float | None = Field(None, ge=0, le=4, allow_inf_nan=False,
                             description="Heston initial variance.")
    kappa: float | None = Field(None, gt=0, le=50, allow_inf_nan=False,
                                description="Heston mean-reversion speed.")
    theta: float | None = Field(None, gt=0, le=4, allow_inf_nan=False,
                                description="Heston long-run variance.")
    xi: float | None = Field(None, gt=0, le=5, allow_inf_nan=False,
                             description="Heston vol of variance.")
    rho: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False,
                              description="Heston spot/variance correlation.")
    lam: float | None = Field(None, ge=0, le=100, allow_inf_nan=False,
                              description="Merton jump intensity per year.")
    mu_j: float | None = Field(None, ge=-5, le=5, allow_inf_nan=False,
                               description="Merton mean log jump.")
    sigma_j: float | None = Field(None, ge=0, le=5, allow_inf_nan=False,
                                  description="Merton log-jump standard deviation.")
    average: Literal["arithmetic", "geometric"] = Field(
        "arithmetic", description="Asian averaging.")
    barrier: float | None = Field(None, gt=0, allow_inf_nan=False,
                                  description="Barrier level (payoff=barrier).")
    barrier_kind: Literal["up-in", "up-out", "down-in", "down-out"] | None = Field(
        None, description="Barrier direction and effect (payoff=barrier).")
    rebate: float = Field(0.0, ge=0, allow_inf_nan=False, description="Barrier cash rebate.")
    continuous: bool = Field(True, description="Continuous monitoring (barrier, lookback).")
    paths: int = Field(50_000, ge=2, le=200_000, description="Pricing paths.")
    steps: int = Field(1, ge=1, le=500, description="Time steps (Asian fixings, monitoring).")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Root seed (omitted: fresh entropy, returned).")
    antithetic: bool = Field(False, description="Antithetic pairs (paths must be even).")
    control: Literal["auto", "none", "terminal", "european", "geometric"] = Field(
        "auto", description="Control variate.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"model": "gbm", "payoff": "european", "S": 100, "K": 100, "T": 1, "r": 0.05,
         "q": 0, "sigma": 0.2, "right": "call", "paths": 100000, "seed": 7}]})

    @model_validator(mode="after")
    def _check_model_params(self) -> MonteCarloIn:
        needed = {"gbm": ("sigma",), "merton": ("sigma", "lam", "mu_j", "sigma_j"),
                  "heston": ("v0", "kappa", "theta", "xi", "rho")}[self.model]
        errors = [_error(name, "missing", f"{name} is required for model={self.model}", None)
                  for name in needed if getattr(self, name) is None]
        if self.payoff == "barrier":
            errors += [_error(name, "missing", f"{name} is required for payoff=barrier", None)
                       for name in ("barrier", "barrier_kind") if getattr(self, name) is None]
        if self.antithetic and self.paths % 2:
            errors.append(_error("paths", "odd", "paths must be even with antithetic=true",
                                 self.paths))
        if self.paths * self.steps > MC_BUDGET:
            errors.append(_error("steps", "too_large",
                                 "paths x steps = {size} exceeds {budget}; submit a job",
                                 self.steps, size=self.paths * self.steps, budget=MC_BUDGET))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


class MonteCarloOut(BaseModel):
    """A Monte Carlo price with its standard error (sampling only) and how it was obtained."""

    price: float | None = Field(description="Present value, currency per unit.")
    stderr: float | None = Field(description="Standard error of price.")
    n_paths: int = Field(description="Pricing paths simulated.")
    n_steps: int = Field(description="Time steps per path.")
    controls: list[str] = Field(description="Control variates applied.")
    seed: int = Field(description="Root seed (rerun with it to reproduce).")

