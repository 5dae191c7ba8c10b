"""Which shard holds a symbol: stable key groups, rendezvous hashing, pinned symbols.

A symbol maps to one of ``n_groups`` **key groups** by a stable hash of its name (BLAKE2b, not
Python's salted ``hash``), so every process on every node agrees without talking. Key groups
map to shards by **rendezvous (highest-random-weight) hashing**: each group goes to the shard
whose ``hash(shard, group)`` is highest. Adding a shard moves exactly the groups that now rank
the new shard highest (about ``1 / (n + 1)`` of them), all onto the new shard; removing one moves
only its own groups. A very busy symbol can be **pinned** to a shard of its own, which then holds
nothing else.

Moving whole key groups (not single symbols) is what lets a shard's checkpoint be split along
group lines when the shard count changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Placement", "key_group"]


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def key_group(symbol: str, n_groups: int) -> int:
    """Stable key group of ``symbol`` in ``[0, n_groups)``."""
    return _h64(symbol.upper()) % n_groups


@dataclass(frozen=True)
class Placement:
    """An assignment of symbols to shards (see the module docstring).

    Parameters
    ----------
    shards : sequence of str
        Names of the general shards (e.g. ``optix-shard-0``); at least one.
    n_groups : int
        Key groups (4096); fixed for the life of a deployment (checkpoints are per group).
    pinned : mapping of str to str
        Symbol -> name of its own shard (not among ``shards``).

    Raises
    ------
    ValueError
        On no shards, duplicate names, a pinned shard that is also general or holds two
        symbols, or ``n_groups < 1``.
    """

    shards: tuple[str, ...]
    n_groups: int = 4096
    pinned: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shards", tuple(self.shards))
        object.__setattr__(self, "pinned", {s.upper(): v for s, v in dict(self.pinned).items()})
        if not self.shards:
            raise ValueError("a placement needs at least one shard")
        if len(set(self.shards)) != len(self.shards):
            raise ValueError(f"shard names must be unique, got {list(self.shards)}")
        if self.n_groups < 1:
            raise ValueError(f"n_groups must be at least 1, got {self.n_groups}")
        own = list(self.pinned.values())
        if len(set(own)) != len(own):
            raise ValueError("each pinned symbol needs a shard of its own")
        clash = set(own) & set(self.shards)
        if clash:
            raise ValueError(f"pinned shards {sorted(clash)} are also general shards")
        weights = np.array([[_h64(f"{s}|{g}") for s in self.shards]
                            for g in range(self.n_groups)], dtype=np.uint64)
        object.__setattr__(self, "_group_shard", np.argmax(weights, axis=1).astype(np.int64))

    @property
    def all_shards(self) -> tuple[str, ...]:
        """General shards, then pinned ones."""
        return self.shards + tuple(sorted(set(self.pinned.values())))

    def group_shard(self, group: int) -> str:
        """The general shard that holds key group ``group``."""
        table: np.ndarray = object.__getattribute__(self, "_group_shard")
        return self.shards[int(table[group])]

    def shard_of(self, symbol: str) -> str:
        """The shard that holds ``symbol``."""
        s = symbol.upper()
        own = self.pinned.get(s)
        if own is not None:
            return own
        return self.group_shard(key_group(s, self.n_groups))

    def split(self, symbols: Iterable[str]) -> dict[str, list[int]]:
        """Row indices per shard of a column of symbols (each distinct symbol hashed once)."""
        out: dict[str, list[int]] = {}
        memo: dict[str, str] = {}
        for i, sym in enumerate(symbols):
            shard = memo.get(sym)
            if shard is None:
                shard = memo[sym] = self.shard_of(sym)
            out.setdefault(shard, []).append(i)
        return out

    def with_shards(self, shards: Iterable[str]) -> Placement:
        """The same groups and pins over another set of general shards."""
        return Placement(tuple(shards), self.n_groups, dict(self.pinned))

    def with_pin(self, symbol: str, shard: str) -> Placement:
        """A copy of this placement with ``symbol`` pinned to its own ``shard``."""
        return Placement(self.shards, self.n_groups, {**self.pinned, symbol.upper(): shard})
