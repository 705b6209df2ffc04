"""The shapes a rule family states its rules in, so every consumer reads one statement.

- `PairRule`: whether one household may have one dwelling at all (vectorised over a block
  of households against every dwelling).
- `CapacityRule`: in each group (a building, a district, a school zone) the new placements
  of some households (the high-need ones) stay within the group's headroom.
- `ExclusionRule`: in each scope (a building or a cluster) households of one kind (active
  substance use) and of another (recovery) never both move in, nor beside existing
  residents of the other kind.
- `Clock`: a date by which a household's dwelling must be ready (allocator.rules.r7_clocks).

A round rule states its data once (groups, who uses capacity, headroom; or scopes, kinds,
existing residents); everything else derives from it: the CP-SAT constraints, the pairs a
placement alone already breaks, the placements of a chosen set that break it, the bans
the relaxed flow's warm start needs, the incremental state behind alternates and
explanations, and the rows of the benchmark's MIP. Capacities are exact integers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from allocator.data import RoundData
from models.policy import Policy
from models.scenario import Household

if TYPE_CHECKING:
    from allocator.model import AllocationModel
    from allocator.pairs import Pairs

Switch = Callable[[Policy], bool]


def always(policy: Policy) -> bool:
    return True


def hard(section: str, switch: str) -> Switch:
    """The rule is on while `policy.<section>.<switch>` is "hard"."""
    return lambda p: getattr(getattr(p, section), switch) == "hard"


@dataclass(frozen=True)
class PairRule:
    """Hard: `reject(data, hs)` is True for the (household, dwelling) pairs it forbids,
    shape (len(hs), D). `text` says why in bokmål (parameters from the policy)."""

    code: str
    rule: str
    reject: Callable[[RoundData, np.ndarray], np.ndarray]
    text: str
    enabled: Switch = always


class RoundState(Protocol):
    """Incremental state of one round rule over a growing set of placements."""

    def place(self, u: int, dwelling: int) -> None: ...

    def broken_by(
        self, u: int, dwelling: int, leaving: int | None = None, leaving_from: int | None = None
    ) -> bool: ...


class RoundRule(Protocol):
    """A hard rule over several placements (see the module docstring)."""

    @property
    def code(self) -> str: ...

    @property
    def rule(self) -> str: ...

    @property
    def text(self) -> str: ...

    def enabled(self, policy: Policy) -> bool: ...

    def concerns(self, data: RoundData) -> np.ndarray: ...

    def rejects_alone(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray: ...

    def broken(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray: ...

    def add(self, m: AllocationModel) -> None: ...

    def bans(
        self, pairs: Pairs, chosen: np.ndarray, values: np.ndarray, held: np.ndarray
    ) -> np.ndarray: ...

    def state(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> RoundState: ...


@dataclass(frozen=True)
class CapacityRule:
    """Hard: per group, `users` placed this round <= `headroom` (exact integers).

    `group(data)` gives each dwelling's group (-1: in no capped group), `users(data)` which
    households count, `headroom(data)` each group's room left for them."""

    code: str
    rule: str
    text: str
    switch: Switch
    group_of: Callable[[RoundData], np.ndarray]
    users_of: Callable[[RoundData], np.ndarray]
    headroom_of: Callable[[RoundData], np.ndarray]

    def enabled(self, policy: Policy) -> bool:
        return self.switch(policy)

    def group(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.group", self.group_of)  # type: ignore[no-any-return]

    def users(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.users", self.users_of)  # type: ignore[no-any-return]

    def headroom(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.headroom", self.headroom_of)  # type: ignore[no-any-return]

    def concerns(self, data: RoundData) -> np.ndarray:
        """The households whose placement the rule can forbid."""
        return self.users(data)

    def _of_pairs(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Each pair's group when its household counts, else -1."""
        return np.where(self.users(data)[h], self.group(data)[d], -1)

    def rejects_alone(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Pairs whose household counts and whose group has no room left at all."""
        g = self._of_pairs(data, h, d)
        room = self.headroom(data)
        return (g >= 0) & (room[np.maximum(g, 0)] <= 0) if len(room) else np.zeros(len(h), bool)

    def broken(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Of the placements (h[i], d[i]): those in a group placed beyond its headroom."""
        g = self._of_pairs(data, h, d)
        room = self.headroom(data)
        counts = np.bincount(g[g >= 0], minlength=len(room))
        over = counts > room
        return (g >= 0) & over[np.maximum(g, 0)] if len(room) else np.zeros(len(h), bool)

    def rows(self, pairs: Pairs) -> list[tuple[np.ndarray, int]]:
        """(pair positions, bound) for every group whose headroom can bind: below the
        number of distinct dwellings its counting pairs could fill."""
        data = pairs.data
        g = self._of_pairs(data, pairs.h, pairs.d)
        room = self.headroom(data)
        out: list[tuple[np.ndarray, int]] = []
        idx = np.flatnonzero(g >= 0)
        if len(idx) == 0:
            return out
        order = idx[np.argsort(g[idx], kind="stable")]
        for members in np.split(order, np.flatnonzero(np.diff(g[order])) + 1):
            bound = int(room[g[members[0]]])
            if bound < len(np.unique(pairs.d[members])):
                out.append((members, bound))
        return out

    def add(self, m: AllocationModel) -> None:
        for members, bound in self.rows(m.pairs):
            m.add_at_most(members, bound)

    def bans(
        self, pairs: Pairs, chosen: np.ndarray, values: np.ndarray, held: np.ndarray
    ) -> np.ndarray:
        """After a relaxed flow: each group over its headroom is closed to every counting
        household but the `headroom` it keeps, the `held` pairs (which cannot move) first,
        then the highest values. Closing, not only banning the excess, is what makes the
        ban-and-reflow loop converge: banning the excess alone draws other counting
        households in, round after round (whole stock: 400-500 over after a dozen)."""
        data = pairs.data
        ban = np.zeros(len(pairs), dtype=bool)
        idx = np.flatnonzero(chosen)
        g = self._of_pairs(data, pairs.h[idx], pairs.d[idx])
        room = self.headroom(data)
        if not len(room):
            return ban
        counts = np.bincount(g[g >= 0], minlength=len(room))
        of_pair = self._of_pairs(data, pairs.h, pairs.d)
        for group in np.flatnonzero(counts > room):
            members = idx[g == group]
            order = np.lexsort((-values[members], ~held[members]))
            kept = pairs.h[members[order][: max(0, int(room[group]))]]
            ban |= (of_pair == group) & ~np.isin(pairs.h, kept)
        return ban

    def state(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> CapacityState:
        return CapacityState(self, data, h, d)

    def pool(self, data: RoundData) -> tuple[np.ndarray, int] | None:
        """(users, headroom) when one group holds every dwelling: then the rule caps how
        many users are housed anywhere, which the relaxed flow can hold exactly as a node
        (allocator.lexflow, household pools). None otherwise."""
        group, room = self.group(data), self.headroom(data)
        if data.D and len(room) == 1 and bool((group == 0).all()):
            return self.users(data), int(room[0])
        return None


class CapacityState:
    """Room left per group after some placements."""

    def __init__(self, rule: CapacityRule, data: RoundData, h: np.ndarray, d: np.ndarray):
        self.rule, self.data = rule, data
        self.users, self.group = rule.users(data), rule.group(data)
        g = rule._of_pairs(data, h, d)
        self.room = rule.headroom(data).astype(np.int64) - np.bincount(
            g[g >= 0], minlength=len(rule.headroom(data))
        )

    def place(self, u: int, dwelling: int) -> None:
        g = self.group[dwelling]
        if self.users[u] and g >= 0:
            self.room[g] -= 1

    def broken_by(
        self, u: int, dwelling: int, leaving: int | None = None, leaving_from: int | None = None
    ) -> bool:
        g = self.group[dwelling]
        if not self.users[u] or g < 0:
            return False
        room = self.room[g]
        if leaving is not None and leaving_from is not None:
            room += bool(self.users[leaving] and self.group[leaving_from] == g)
        return bool(room < 1)


@dataclass(frozen=True)
class ExclusionRule:
    """Hard: per scope, after the round, no new household of kind 1 beside any of kind 2
    (existing or new), nor the reverse. `scope_of(data)` gives each dwelling's scope,
    `kind_of(data)` each household's kind (0: neither), `existing_of(data)` the existing
    residents per scope as a (2, scopes) array of counts (kind 1, kind 2)."""

    code: str
    rule: str
    text: str
    switch: Switch
    scope_of: Callable[[RoundData], np.ndarray]
    kind_of: Callable[[RoundData], np.ndarray]
    existing_of: Callable[[RoundData], np.ndarray]

    def enabled(self, policy: Policy) -> bool:
        return self.switch(policy)

    def scope(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.scope", self.scope_of)  # type: ignore[no-any-return]

    def kind(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.kind", self.kind_of)  # type: ignore[no-any-return]

    def existing(self, data: RoundData) -> np.ndarray:
        return data.derived(f"{self.code}.existing", self.existing_of)  # type: ignore[no-any-return]

    def concerns(self, data: RoundData) -> np.ndarray:
        """The households whose placement the rule can forbid."""
        return self.kind(data) > 0

    def rejects_alone(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Pairs placing a household beside existing residents of the other kind."""
        kind, scope, old = self.kind(data)[h], self.scope(data)[d], self.existing(data)
        if old.shape[1] == 0:
            return np.zeros(len(h), dtype=bool)
        s = np.maximum(scope, 0)
        return (scope >= 0) & (((kind == 1) & (old[1, s] > 0)) | ((kind == 2) & (old[0, s] > 0)))

    def broken(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Placements whose scope, after the round, also holds the other kind."""
        kind, scope, old = self.kind(data)[h], self.scope(data)[d], self.existing(data)
        if old.shape[1] == 0:
            return np.zeros(len(h), dtype=bool)
        S = old.shape[1]
        counted = (scope >= 0) & (kind > 0)
        total = old.copy()
        for k in (1, 2):
            total[k - 1] += np.bincount(scope[counted & (kind == k)], minlength=S)
        s = np.maximum(scope, 0)
        return counted & (((kind == 1) & (total[1, s] > 0)) | ((kind == 2) & (total[0, s] > 0)))

    def conflicts(self, pairs: Pairs) -> list[tuple[np.ndarray, np.ndarray]]:
        """(kind-1 pair positions, kind-2 pair positions) per scope holding both."""
        data = pairs.data
        kind, scope = self.kind(data)[pairs.h], self.scope(data)[pairs.d]
        out = []
        counted = np.flatnonzero((scope >= 0) & (kind > 0))
        order = counted[np.argsort(scope[counted], kind="stable")]
        for members in np.split(order, np.flatnonzero(np.diff(scope[order])) + 1):
            if len(members) == 0:
                continue
            one, two = members[kind[members] == 1], members[kind[members] == 2]
            if len(one) and len(two):
                out.append((one, two))
        return out

    def add(self, m: AllocationModel) -> None:
        """One Boolean per mixed scope says which kind may move in; each placement implies
        it (existing mixes were settled by `rejects_alone` when the pairs were made)."""
        for one, two in self.conflicts(m.pairs):
            m.add_exclusion(one, two, self.code)

    def bans(
        self, pairs: Pairs, chosen: np.ndarray, values: np.ndarray, held: np.ndarray
    ) -> np.ndarray:
        """After a relaxed flow: in each scope receiving both kinds, the kind bringing less
        value is banned from the scope; a kind with `held` pairs there (which cannot move)
        never loses to one without."""
        data = pairs.data
        ban = np.zeros(len(pairs), dtype=bool)
        idx = np.flatnonzero(chosen)
        kind, scope = self.kind(data)[pairs.h[idx]], self.scope(data)[pairs.d[idx]]
        of_pair = self.scope(data)[pairs.d]
        kind_of_pair = self.kind(data)[pairs.h]
        for s in np.unique(scope[(scope >= 0) & (kind > 0)]):
            here = scope == s
            one, two = idx[here & (kind == 1)], idx[here & (kind == 2)]
            if not (len(one) and len(two)):
                continue
            weight = [(bool(held[k].any()), int(values[k].sum())) for k in (one, two)]
            loser = 2 if weight[0] >= weight[1] else 1
            ban |= (of_pair == s) & (kind_of_pair == loser)
        return ban

    def state(self, data: RoundData, h: np.ndarray, d: np.ndarray) -> ExclusionState:
        return ExclusionState(self, data, h, d)


class ExclusionState:
    """Residents of each kind per scope (existing and placed)."""

    def __init__(self, rule: ExclusionRule, data: RoundData, h: np.ndarray, d: np.ndarray):
        self.kind, self.scope = rule.kind(data), rule.scope(data)
        self.count = rule.existing(data).astype(np.int64).copy()
        for u, dwelling in zip(h, d, strict=True):
            self.place(int(u), int(dwelling))

    def place(self, u: int, dwelling: int) -> None:
        s, k = self.scope[dwelling], self.kind[u]
        if s >= 0 and k > 0:
            self.count[k - 1, s] += 1

    def broken_by(
        self, u: int, dwelling: int, leaving: int | None = None, leaving_from: int | None = None
    ) -> bool:
        s, k = self.scope[dwelling], self.kind[u]
        if s < 0 or k == 0:
            return False
        other = self.count[2 - k, s]
        if leaving is not None and leaving_from is not None:
            other -= bool(self.scope[leaving_from] == s and self.kind[leaving] == 3 - k)
        return bool(other > 0)


@dataclass(frozen=True)
class Clock:
    """A date by which the household's dwelling must be ready (docs/rules.md "Deadline
    clocks"): `deadline(h, policy)` or None when the clock does not apply. Breaches, then
    days over, weighted by `weight(policy)`, form tier 1 while `enabled(policy)`; when off,
    breaches are still listed."""

    code: str
    rule: str
    deadline: Callable[[Household, Policy], dt.date | None]
    switch: Switch
    weight: Callable[[Policy], int]
    #: bokmål: the clock's name in reasons ("3-månedersfristen").
    name: str
    #: bokmål: who it concerns ("barnefamilie i midlertidig botilbud").
    who: str

    def enabled(self, policy: Policy) -> bool:
        return self.switch(policy)
