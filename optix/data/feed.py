"""What every market source emits, and the counts it keeps.

A source yields :class:`FeedBatch` objects in time order. Each batch covers one slice of
market time and carries whatever arrived in it: option trades, equity prints, chain
snapshots, contract reference data, and (synthetic market only) ground-truth labels. Every
source keeps a :class:`SourceStats`: rows read, accepted and rejected per reason, so nothing
is ever dropped silently.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from optix.core import ChainSnapshot, EquityPrintBatch, OptionTradeBatch, RejectReason
from optix.core.reference import ContractReference

if TYPE_CHECKING:
    from optix.data.synthetic.labels import Label

__all__ = ["FeedBatch", "Rejection", "SourceStats"]


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """One slice of market time from a source.

    Attributes
    ----------
    offset : int
        Position of this batch in the feed, 0, 1, 2, ... (a restart resumes from one).
    start_ns, end_ns : int
        The slice of market time covered, epoch nanoseconds, ``[start_ns, end_ns)``.
    trades : OptionTradeBatch or None
        Validated option trades, sorted by time, ``seq`` increasing.
    equities : EquityPrintBatch or None
        Validated equity prints (lit and off-exchange), sorted by report time.
    chains : tuple of ChainSnapshot
        Option-chain snapshots taken in this slice.
    reference : ContractReference or None
        Contract reference data (open interest, trailing volume), sent when it changes
        (at the start of each trading day for the synthetic market).
    labels : tuple of Label
        Ground truth of events planted in this slice (synthetic market only).
    """

    offset: int
    start_ns: int
    end_ns: int
    trades: OptionTradeBatch | None = None
    equities: EquityPrintBatch | None = None
    chains: tuple[ChainSnapshot, ...] = ()
    reference: ContractReference | None = None
    labels: tuple[Label, ...] = ()

    @property
    def n_trades(self) -> int:
        """Number of option trades (0 if none)."""
        return 0 if self.trades is None else len(self.trades)

    @property
    def n_equities(self) -> int:
        """Number of equity prints (0 if none)."""
        return 0 if self.equities is None else len(self.equities)


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected row, kept as an example for the operator.

    Attributes
    ----------
    kind : str
        What the row was: ``'option_trade'``, ``'equity_print'``, ``'chain_row'``, ...
    reason : RejectReason
    where : str
        Where it came from: ``file.csv:123`` or a message id.
    detail : str
        A short human explanation.
    """

    kind: str
    reason: RejectReason
    where: str
    detail: str = ""


@dataclass
class SourceStats:
    """Rows read, accepted and rejected (per kind and reason) by one source; thread-safe.

    Attributes
    ----------
    max_examples : int
        How many example rejections to keep (the counts are always complete).
    """

    max_examples: int = 20
    read: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[tuple[str, RejectReason]] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str, read: int, accepted: int,
              reasons: Mapping[RejectReason, int] | None = None) -> None:
        """Record ``read`` rows of ``kind``, ``accepted`` of them kept, the rest by reason.

        Raises
        ------
        ValueError
            If accepted plus rejected does not add up to read (a row would be lost).
        """
        reasons = reasons or {}
        if accepted + sum(reasons.values()) != read:
            raise ValueError(
                f"{kind}: {read} read but {accepted} accepted + "
                f"{sum(reasons.values())} rejected"
            )
        with self._lock:
            self.read[kind] += read
            self.accepted[kind] += accepted
            for reason, n in reasons.items():
                if n:
                    self.rejected[(kind, RejectReason(reason))] += n

    def example(self, rejection: Rejection) -> None:
        """Keep ``rejection`` as an example if there is room."""
        with self._lock:
            if len(self.examples) < self.max_examples:
                self.examples.append(rejection)

    def note(self, text: str, n: int = 1) -> None:
        """Count something worth telling the operator that is not a rejection."""
        with self._lock:
            self.notes[text] += n

    def total_rejected(self, kind: str | None = None) -> int:
        """Rejected rows, of one kind or all."""
        return sum(n for (k, _), n in self.rejected.items() if kind is None or k == kind)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary: per kind read/accepted/rejected, with reasons by name."""
        kinds = sorted(set(self.read) | set(self.accepted))
        out: dict[str, object] = {}
        for kind in kinds:
            out[kind] = {
                "read": self.read[kind],
                "accepted": self.accepted[kind],
                "rejected": self.total_rejected(kind),
                "reasons": {r.name: n for (k, r), n in sorted(self.rejected.items()) if k == kind},
            }
        return out

    def summary(self) -> str:
        """One line per kind: ``option_trade: 1,000 read, 990 accepted, 10 rejected (...)``."""
        lines = []
        for kind, d in self.as_dict().items():
            assert isinstance(d, dict)
            reasons = ", ".join(f"{k} {v:,}" for k, v in d["reasons"].items())
            line = (f"{kind}: {d['read']:,} read, {d['accepted']:,} accepted, "
                    f"{d['rejected']:,} rejected")
            lines.append(line + (f" ({reasons})" if reasons else ""))
        lines += [f"note: {text} ({n:,}x)" for text, n in sorted(self.notes.items())]
        return "\n".join(lines) if lines else "nothing read"
