"""The catalogue of planted events: every true event kind and every decoy variant."""

from __future__ import annotations

from dataclasses import dataclass

from optix.data.synthetic.labels import EventKind

__all__ = ["DECOYS", "TRUE_EVENTS", "Recipe", "divisor_prices"]


@dataclass(frozen=True, slots=True)
class Recipe:
    """How to build one planted group.

    Attributes
    ----------
    family : EventKind
        The generator that builds it.
    variant : str
        ``'true'`` or the decoy variant (``'legs'``, ``'span'``, ``'venue'``, ``'premium'``,
        ``'size'``, ``'hits'``, ``'oi'``, ``'avg'``, ``'shares'``, ``'notional'``, ``'lit'``,
        ``'flag'``).
    kind : EventKind or None
        What a correct detector should report for the group.
    weight : float
        Relative frequency among true events or among decoys.
    """

    family: EventKind
    variant: str
    kind: EventKind | None
    weight: float

    @property
    def is_decoy(self) -> bool:
        """True for decoy variants."""
        return self.variant != "true"


K = EventKind
TRUE_EVENTS: tuple[Recipe, ...] = (
    Recipe(K.SWEEP, "true", K.SWEEP, 0.22),
    Recipe(K.SPLIT, "true", K.SPLIT, 0.10),
    Recipe(K.BLOCK, "true", K.BLOCK, 0.15),
    Recipe(K.REPEATED_HITS, "true", K.REPEATED_HITS, 0.08),
    Recipe(K.UNUSUAL_VOLUME, "true", K.UNUSUAL_VOLUME, 0.10),
    Recipe(K.DARK_POOL, "true", K.DARK_POOL, 0.15),
    Recipe(K.SPREAD, "true", K.SPREAD, 0.20),
)
DECOYS: tuple[Recipe, ...] = (
    Recipe(K.SWEEP, "legs", None, 1.0),  # one leg short
    Recipe(K.SWEEP, "span", None, 1.0),  # legs spread just past the window
    Recipe(K.SWEEP, "venue", K.SPLIT, 1.0),  # one venue: a split, not a sweep
    Recipe(K.SWEEP, "premium", None, 1.0),  # one leg $1 under the leg premium
    Recipe(K.SPLIT, "legs", None, 1.0),
    Recipe(K.SPLIT, "span", None, 1.0),
    Recipe(K.SPLIT, "premium", None, 1.0),
    Recipe(K.BLOCK, "size", None, 1.0),  # one contract short
    Recipe(K.BLOCK, "premium", None, 1.0),  # $1 under the block premium
    Recipe(K.REPEATED_HITS, "hits", None, 1.0),  # one hit short
    Recipe(K.REPEATED_HITS, "span", None, 1.0),  # hits spread just past the window
    Recipe(K.REPEATED_HITS, "premium", None, 1.0),  # $1 under the total premium
    Recipe(K.UNUSUAL_VOLUME, "oi", None, 1.0),  # volume equal to open interest
    Recipe(K.UNUSUAL_VOLUME, "avg", None, 1.0),  # above OI but under the average multiple
    Recipe(K.DARK_POOL, "shares", None, 1.0),  # one share short
    Recipe(K.DARK_POOL, "notional", None, 1.0),  # $1 under the notional
    Recipe(K.DARK_POOL, "lit", None, 1.0),  # same print on a lit exchange
    Recipe(K.SPREAD, "flag", None, 1.0),  # legs without the complex flag, past the window
)


def divisor_prices(target: int, min_size: int, max_size: int) -> list[tuple[int, int]]:
    """``(price_cents, size)`` pairs whose premium ``price_cents * size`` is ``target`` dollars.

    An option premium is price x size x 100, so a price of ``c`` cents on ``n`` contracts
    is exactly ``c * n`` dollars; the pairs are the divisors of ``target``.
    """
    out = []
    i = 1
    while i * i <= target:
        if target % i == 0:
            for n in {i, target // i}:
                if min_size <= n <= max_size:
                    out.append((target // n, n))
        i += 1
    return sorted(out)
