"""Dark-pool detector: large off-exchange equity prints.

Dark pools (ATSs) and internalisers do not print on an exchange: their trades reach the
consolidated tape through a FINRA Trade Reporting Facility (or the ADF), venue codes >= 100 in
:class:`~optix.core.enums.EquityVenue` (``FINN``, ``FINC``, ``FINY``, ``XADF``). A print is a
**dark-pool print** when it is off-exchange, at least ``min_shares`` shares and at least
``min_notional`` dollars (price x size), and not canceled. Its *print delay* (report time minus
execution time, ``ts_ns - exec_ts_ns``) is reported in ``detail``; optional
``min_delay_s`` / ``max_delay_s`` restrict it.

Only **equity** prints can be dark. US listed options trade only on exchanges (every OPRA print
comes from an options exchange; there is no off-exchange options tape), so an option print on
EDGX Options or BATS Options (Cboe's option exchanges, which share names with equity venues) is
never "dark": this detector takes only :class:`~optix.core.equities.EquityPrintBatch` input.

Each qualifying print is final when it is reported, so it is emitted by the
:meth:`DarkPoolDetector.update` call that sees it; the detector keeps no state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from optix.core.enums import Condition, EquityVenue
from optix.core.equities import EquityPrintBatch
from optix.flow.events import EventType, FlowEvent

__all__ = ["DarkPoolConfig", "DarkPoolDetector"]

_CANCEL = np.uint32(int(Condition.CANCEL))
_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class DarkPoolConfig:
    """Thresholds of the dark-pool rule.

    Attributes
    ----------
    min_shares : int
        Shares in the print, at least (10,000).
    min_notional : float
        Price x size in dollars, at least ($1,000,000).
    min_delay_s, max_delay_s : float or None
        Optional bounds (inclusive) on the print delay ``ts_ns - exec_ts_ns`` in seconds;
        ``None`` (the default) means no bound.
    """

    min_shares: int = 10_000
    min_notional: float = 1_000_000.0
    min_delay_s: float | None = None
    max_delay_s: float | None = None

    def __post_init__(self) -> None:
        if self.min_shares < 1:
            raise ValueError(f"min_shares must be at least 1, got {self.min_shares}")
        if not (math.isfinite(self.min_notional) and self.min_notional >= 0):
            raise ValueError(f"min_notional must be finite and >= 0, got {self.min_notional}")
        for name in ("min_delay_s", "max_delay_s"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be None or finite and >= 0, got {v}")
        if (self.min_delay_s is not None and self.max_delay_s is not None
                and self.min_delay_s > self.max_delay_s):
            raise ValueError("min_delay_s must not exceed max_delay_s")


class DarkPoolDetector:
    """Finds large off-exchange equity prints (see the module docstring for the rule).

    Parameters
    ----------
    config : DarkPoolConfig, optional
        Thresholds; defaults to :class:`DarkPoolConfig()`.
    """

    def __init__(self, config: DarkPoolConfig | None = None) -> None:
        self.config = config or DarkPoolConfig()

    def update(self, equities: EquityPrintBatch | None, now_ns: int) -> list[FlowEvent]:
        """Dark-pool prints among ``equities``, in tape order.

        Parameters
        ----------
        equities : EquityPrintBatch or None
            Validated equity prints.
        now_ns : int
            Current time (unused: a print is final when reported).

        Returns
        -------
        list of FlowEvent
            ``stream='equity'``, ``underlying`` the ticker, no contract (``expiry=None``,
            ``strike=nan``, ``right=0``), ``premium`` the notional. ``side`` is +1 at or
            above the ask, -1 at or below the bid, else 0 (so is ``sentiment``); ``detail``
            has ``delay_ns``, ``delay_s``, ``exec_ts_ns``, ``venue`` (MIC) and ``price``.
        """
        if equities is None or len(equities) == 0:
            return []
        cfg = self.config
        size = equities.size
        hit = (size >= cfg.min_shares) & (equities.venue >= 100)
        if not hit.any():
            return []
        hit &= (equities.conditions & _CANCEL) == 0
        hit &= equities.price * size >= cfg.min_notional
        delay = equities.ts_ns - equities.exec_ts_ns
        if cfg.min_delay_s is not None:
            hit &= delay >= round(cfg.min_delay_s * _S)
        if cfg.max_delay_s is not None:
            hit &= delay <= round(cfg.max_delay_s * _S)
        out: list[FlowEvent] = []
        for r in np.flatnonzero(hit).tolist():
            price, n = float(equities.price[r]), int(size[r])
            notional = price * n
            bid, ask = float(equities.bid[r]), float(equities.ask[r])
            side = 1 if price >= ask > 0 else (-1 if 0 < price <= bid else 0)
            conf = (0.6 + 0.2 * math.log10(notional / max(cfg.min_notional, 1.0))
                    + 0.2 * math.log10(n / cfg.min_shares))
            venue = int(equities.venue[r])
            d = int(delay[r])
            out.append(FlowEvent(
                type=EventType.DARK_POOL, underlying=str(equities.symbol[r]), expiry=None,
                strike=math.nan, right=0, first_ts_ns=int(equities.ts_ns[r]),
                last_ts_ns=int(equities.ts_ns[r]), seqs=(int(equities.seq[r]),),
                stream="equity", venues=(venue,), size=n, premium=notional, side=side,
                sentiment=side, confidence=min(max(conf, 0.0), 1.0),
                detail={"delay_ns": d, "delay_s": d / _S,
                        "exec_ts_ns": int(equities.exec_ts_ns[r]),
                        "venue": _venue_name(venue), "price": price},
            ))
        return out

    def flush(self) -> list[FlowEvent]:
        """Nothing stays open."""
        return []

    def snapshot(self) -> dict[str, Any]:
        """The detector is stateless: an empty dict."""
        return {}

    @classmethod
    def restore(cls, state: dict[str, Any], config: DarkPoolConfig | None = None
                ) -> DarkPoolDetector:
        """A detector continuing from :meth:`snapshot` ``state`` (there is none to restore)."""
        return cls(config)


def _venue_name(code: int) -> str:
    try:
        return EquityVenue(code).name
    except ValueError:
        return str(code)
