"""Turn a chosen set of pairs into a Proposal: matches with score parts and reasons,
computed alternates, unmatched households and empty dwellings with reasons, breaches, KPIs.

Reasons state only what is true of this proposal: a household is "outranked" only when
every household holding a dwelling it could have had weighs at least as much for that
dwelling on the objective's tiers (and, when equal, was approved earlier); a dwelling
locked by the meeting is named as the meeting's decision; anything else is said to make
the round as a whole better, which is what the optimum means.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter

import numpy as np

from allocator import kpis as kpi
from allocator import lookahead
from allocator.data import RoundData
from allocator.glossary import TRANSFER_REASON_TEXT
from allocator.lookahead import Outlook
from allocator.objective import Objective, default_objective
from allocator.pairs import Pairs, blocks, group_positions, rejection_codes
from allocator.reasons import NEED_TEXT, reason, rule_text
from allocator.round_state import RoundState
from allocator.rules import (
    CLOCKS,
    CODES,
    RULE_OF_CODE,
    r7_temporary,
    r10_group_share,
    r11_transfers,
)
from models.proposal import (
    Alternate,
    Blocking,
    Breach,
    Chain,
    ChainLink,
    EmptyDwelling,
    Kpis,
    Match,
    Proposal,
    Reason,
    RunInfo,
    ScoreParts,
    Unmatched,
)
from models.scenario import TransferReason

#: Most dwellings listed one by one in a "why not" explanation; the rest are counted.
MAX_LISTED = 40
NO_PAIRS = np.zeros(0, dtype=np.int64)
#: Most holders named in a reason's text.
NAMED = 5
#: A chain's last freed dwelling when no one moves into it this round.
FREED_UNLET = "står ledig"


def date_of(day: int) -> dt.date:
    return dt.date.fromordinal(int(day))


def _blocked(code: str, blocked: Counter[str]) -> Reason:
    """A reason naming the round rules (or the objective) that kept candidates out."""
    rules = ", ".join(rule_text(c) for c in sorted(blocked))
    return reason(code, rules=rules, codes=sorted(blocked))


def _summary(counts: Counter[str]) -> str:
    return "; ".join(f"{rule_text(code)} ({n})" for code, n in counts.most_common())


def _listing(items: list[dict[str, str]]) -> str:
    text = ", ".join(f"{t['dwelling']} → {t['household']}" for t in items[:NAMED])
    return text + (f" og {len(items) - NAMED} til" if len(items) > NAMED else "")


class Explainer:
    def __init__(
        self,
        data: RoundData,
        pairs: Pairs,
        chosen: np.ndarray,
        objective: Objective | None = None,
        outlook: Outlook | None = None,
        myopic: dict[str, str] | None = None,
    ):
        self.data = data
        self.outlook = outlook
        #: household -> dwelling of the round solved without look-ahead (when on).
        self.myopic = myopic
        self.pairs = pairs
        self.objective = objective or default_objective(data.policy)
        self.chosen_idx = np.flatnonzero(chosen)
        self.h_of_d = {int(pairs.d[p]): int(pairs.h[p]) for p in self.chosen_idx}
        self.d_of_h = {int(pairs.h[p]): int(pairs.d[p]) for p in self.chosen_idx}
        self.p_of_h = {int(pairs.h[p]): int(p) for p in self.chosen_idx}
        self.housed = np.zeros(data.H, dtype=bool)
        self.housed[pairs.h[self.chosen_idx]] = True
        self.state = RoundState(data, pairs.h[self.chosen_idx], pairs.d[self.chosen_idx])
        self.pairs_by_dwelling = group_positions(pairs.d)
        self.pairs_by_household = group_positions(pairs.h)
        #: Dwelling positions in id order: the order blocking rules are listed in.
        self.by_dwelling_id = sorted(range(data.D), key=lambda j: data.dwelling_ids[j])
        self.pinned = {
            (data.household_index[p.household], data.dwelling_index[p.dwelling]): p.reason
            for p in data.scenario.locks.pinned
        }
        # Every pair's gains in objective order (larger is better), for comparisons.
        self.gains = np.vstack(self.objective.gains(pairs)) if len(pairs) else np.zeros((0, 0))
        self.breach, self.days_over = pairs.matched_breach()
        self.unmatched_over = pairs.unmatched_over_h
        # R11: the day each housed household moves in (a freed dwelling's variants assume
        # its tenant's), and which dwellings are still their tenants' after the round.
        self.day_of_h = {int(pairs.h[p]): int(pairs.move_in[p]) for p in self.chosen_idx}
        for p in self.chosen_idx:  # a variant standing for a range: its tenant's day's date
            tenant = int(data.tenant[pairs.d[p]])
            if tenant in self.day_of_h:
                self.day_of_h[int(pairs.h[p])] = r11_transfers.stated_move_in(
                    pairs, int(p), self.day_of_h[tenant]
                )
        self.variant = r11_transfers.is_variant(pairs)
        self.stays = {
            int(d) for d in np.flatnonzero(data.occupied) if int(data.tenant[d]) not in self.d_of_h
        }

    def consistent(self, q: int) -> bool:
        """Could pair `q` be used with the rest of the proposal as it is, as far as R11
        goes? A vacancy always; a chain variant when its tenant moves in on its day; a
        swap only as it stands in the proposal."""
        if not self.variant[q]:
            return True
        P = self.pairs
        if P.swap[q]:
            return bool(self.d_of_h.get(int(P.h[q])) == int(P.d[q]))
        tenant = int(self.data.tenant[P.d[q]])
        return tenant in self.d_of_h and r11_transfers.links(P, q, self.day_of_h[tenant])

    def move_in_of(self, p: int) -> int:
        """The move-in the proposal states for pair `p` (chosen, or an alternate with the
        rest of the proposal as it is): into a freed dwelling, its tenant's day's date."""
        P = self.pairs
        h, tenant = int(P.h[p]), int(self.data.tenant[P.d[p]])
        if self.p_of_h.get(h) == p:
            return self.day_of_h[h]
        if tenant in self.day_of_h:
            return r11_transfers.stated_move_in(P, p, self.day_of_h[tenant])
        return int(P.move_in[p])

    def chain_block(self, u: int, d: int) -> list[str]:
        """Why household u cannot have dwelling d for R11 reasons (empty: no such reason)."""
        tenant = int(self.data.tenant[d])
        if tenant < 0:
            return []
        if d in self.stays:
            return ["tenant_stays"]
        own = self.pairs_by_household.get(u, np.zeros(0, dtype=np.int64))
        if not any(int(self.pairs.d[q]) == d and self.consistent(int(q)) for q in own):
            return ["chain_timing"]
        return []

    # -- matches -------------------------------------------------------------------------
    def score(self, p: int) -> ScoreParts:
        P, w = self.pairs, self.data.policy.weights
        h = int(P.h[p])
        hh = self.data.scenario.households[h]
        return ScoreParts(
            priority_points=w.priority_points[hh.priority],
            waiting_points=int(P.housing[p])
            - w.priority_points[hh.priority]
            - int(self.data.transfer_points[h] + self.data.freed_points[P.d[p]]),
            preference_rank=int(P.preference_rank[p]) if hh.preferred_districts else None,
            spare_bedrooms=int(P.spare_bedrooms[p]),
            school_travel_minutes=int(P.school_minutes[p]),
            vacancy_days=int(P.vacancy_days[p]),
            vacancy_rent_loss=round(float(P.vacancy_rent_loss[p]), 2),
            concentration_cost=int(P.concentration[p]),
            fit_cost=int(P.fit[p]),
            transfer_points=int(self.data.transfer_points[h] + self.data.freed_points[P.d[p]]),
        )

    def clock_reason(self, p: int) -> Reason | None:
        """On time or late against the household's deadline clock, if it has one."""
        data, P = self.data, self.pairs
        h = int(P.h[p])
        if data.clock[h] < 0:
            return None
        clock = CLOCKS[int(data.clock[h])]
        common = dict(
            clock=clock.code,
            clock_name=clock.name,
            who=clock.who,
            move_in=date_of(self.move_in_of(p)),
            deadline=date_of(data.deadline[h]),
        )
        if self.breach[p]:
            return reason("deadline_late", days_over=int(self.days_over[p]), **common)
        return reason("deadline_on_time", **common)

    def at_risk(self, h: int) -> bool:
        return self.outlook is not None and bool(self.outlook.at_risk()[h])

    def entering(self, h: int) -> bool:
        """At risk only if placed in temporary housing first (no clock yet)."""
        entering = None if self.outlook is None else self.outlook.entering
        return entering is not None and h < len(entering) and bool(entering[h])

    def _risk_params(self, h: int) -> dict[str, object]:
        assert self.outlook is not None
        fails, futures, weeks = lookahead.expected(self.outlook, h)
        if self.entering(h):
            clock = r7_temporary.CLOCK
            who, deadline = r7_temporary.ENTERING_WHO, None
        else:
            clock = CLOCKS[int(self.data.clock[h])]
            who, deadline = clock.who, date_of(self.data.deadline[h])
        return dict(
            who=who,
            clock=clock.code,
            clock_name=clock.name,
            deadline=deadline,
            weeks=weeks,
            fails=fails,
            futures=futures,
            horizon=self.outlook.weeks,
        )

    def lookahead_reason(self, h: int, d: int) -> Reason | None:
        """A household housed now because the coming weeks hold nothing for it in time."""
        if not self.at_risk(h):
            return None
        changed = self.myopic is not None and self.data.household_ids[h] not in self.myopic
        return reason(
            "lookahead_entry" if self.entering(h) else "lookahead_now",
            dwelling=self.data.dwelling_ids[d],
            changed=changed,
            changed_suffix=" Uten planlegging framover ville husstanden ikke fått "
            "tilbud denne uken."
            if changed
            else "",
            **self._risk_params(h),
        )

    def competition(self, p: int) -> Reason:
        """How many other households the rules allow here, and where they went."""
        h, d = int(self.pairs.h[p]), int(self.pairs.d[p])
        candidates = np.unique(self.pairs.h[self.pairs_by_dwelling.get(d, NO_PAIRS)])
        others = candidates[candidates != h]
        if not len(others):
            return reason("competition_none")
        elsewhere = int(self.housed[others].sum())
        return reason("competition", candidates=len(others), elsewhere=elsewhere)

    def match_reasons(self, p: int) -> list[Reason]:
        data, P = self.data, self.pairs
        h, d = int(P.h[p]), int(P.d[p])
        hh = data.scenario.households[h]
        district_id = data.district_ids[data.d_district[d]]
        district = data.scenario.districts[data.d_district[d]].name or district_id
        out = []
        if (h, d) in self.pinned:
            note = self.pinned[(h, d)]
            out.append(
                reason("pinned", note=note, reason_suffix=f" ({note.rstrip('.')})" if note else "")
            )
        clock = self.clock_reason(p)
        if clock is not None:
            out.append(clock)
        ahead = self.lookahead_reason(h, d)
        if ahead is not None:
            out.append(ahead)
        waiting = (data.scenario.as_of - hh.approved_on).days
        out.append(
            reason("priority", priority=hh.priority, waiting_days=waiting, points=int(P.housing[p]))
        )
        out += self.transfer_reasons(p)
        if hh.preferred_districts:
            rank = int(P.preference_rank[p])
            if rank < len(hh.preferred_districts):
                out.append(
                    reason(
                        "preferred_district",
                        rank=rank + 1,
                        district=district,
                        district_id=district_id,
                    )
                )
            else:
                out.append(reason("outside_wishes", district=district, district_id=district_id))
        if (
            hh.children
            and any(c.keep_school for c in hh.children)
            and np.isin(h, data.children.household)
        ):
            out.append(reason("school_kept", minutes=int(P.school_minutes[p])))
        needs = [k for k, v in hh.needs.model_dump().items() if v]
        if needs:
            out.append(
                reason("needs_met", needs=", ".join(NEED_TEXT[k] for k in needs), codes=needs)
            )
        if P.spare_bedrooms[p] > 0:
            out.append(reason("spare_bedrooms", spare=int(P.spare_bedrooms[p])))
        out.append(self.competition(p))
        return out

    def transfer_reasons(self, p: int) -> list[Reason]:
        """R11: a tenant's move and what it frees; a move into a freed dwelling; a swap."""
        data, P = self.data, self.pairs
        h, d = int(P.h[p]), int(P.d[p])
        out = []
        hh = data.scenario.households[h]
        turnover = data.policy.transfers.turnover_days
        if P.swap[p]:
            other = int(data.tenant[d])
            out.append(
                reason("swap", other=data.household_ids[other], move_in=date_of(P.move_in[p]))
            )
            return out
        if hh.transfer_reason is not None:
            current = int(data.current[h])
            out.append(
                reason(
                    "transfer_move",
                    why=TRANSFER_REASON_TEXT[hh.transfer_reason.value],
                    reason=hh.transfer_reason.value,
                    from_dwelling=data.dwelling_ids[current],
                    free_on=date_of(self.day_of_h[h] + turnover),
                )
            )
        tenant = int(data.tenant[d])
        if tenant >= 0:
            out.append(
                reason(
                    "chain_link",
                    tenant=data.household_ids[tenant],
                    tenant_move_in=date_of(self.day_of_h[tenant]),
                    ready=date_of(self.day_of_h[tenant] + turnover),
                    turnover=turnover,
                )
            )
        return out

    def alternates(self, p: int, k: int) -> list[Alternate]:
        """Who gets the dwelling if this offer is declined, with every other offer standing:
        the best unmatched candidates that the round rules admit, ranked by the same
        lexicographic objective as the proposal (every tier, then the serial order)."""
        data, P = self.data, self.pairs
        h, d = int(P.h[p]), int(P.d[p])
        q = np.asarray(self.pairs_by_dwelling.get(d, []), dtype=np.int64)
        if len(q) == 0:
            return []
        out: list[Alternate] = []
        listed: set[int] = set()
        for pair in q[np.argsort(self.pair_rank[q], kind="stable")].tolist():
            candidate = int(P.h[pair])
            if candidate == h or candidate in self.d_of_h or candidate in listed:
                continue
            if not self.consistent(pair) or P.swap[pair]:
                continue  # R11: the variant for the day the tenant actually moves
            if self.state.broken_by(candidate, d, leaving=h, leaving_from=d):
                continue
            listed.add(candidate)
            out.append(
                Alternate(
                    rank=len(out) + 1,
                    household=data.household_ids[candidate],
                    move_in=date_of(self.move_in_of(pair)),
                    reason=reason("alternate"),
                )
            )
            if len(out) == k:
                break
        return out

    @functools.cached_property
    def pair_rank(self) -> np.ndarray:
        """Every pair's place in the objective's order (Objective.rank_keys, from the gains
        already computed): the order alternates are ranked in, for every dwelling."""
        P = self.pairs
        keys = (P.tie_jitter, self.data.order[P.h], *[-g for g in self.gains[::-1]])
        rank = np.empty(len(P), dtype=np.int64)
        rank[np.lexsort(keys)] = np.arange(len(P))
        return rank

    def matches(self) -> list[Match]:
        data, P = self.data, self.pairs
        k = data.policy.solver.alternates
        out = []
        for pair in sorted(self.chosen_idx, key=lambda q: data.dwelling_ids[int(P.d[q])]):
            p = int(pair)
            h, d = int(P.h[p]), int(P.d[p])
            out.append(
                Match(
                    household=data.household_ids[h],
                    dwelling=data.dwelling_ids[d],
                    move_in=date_of(self.move_in_of(p)),
                    from_dwelling=(
                        data.dwelling_ids[int(data.current[h])] if data.current[h] >= 0 else None
                    ),
                    pinned=(h, d) in self.pinned,
                    score=self.score(p),
                    reasons=self.match_reasons(p),
                    alternates=self.alternates(p, k),
                )
            )
        return out

    # -- unmatched households and empty dwellings -----------------------------------------
    def outweighs(self, holder_pairs: np.ndarray, own_pairs: np.ndarray) -> np.ndarray:
        """Per (holder's pair, household's own pair) for the same dwelling: does the
        holder's weigh at least as much, tier by tier (and, when equal on every tier, was
        the holder approved first)? Vectorised: one call for all unmatched households."""
        order = self.data.order
        earlier = order[self.pairs.h[holder_pairs]] < order[self.pairs.h[own_pairs]]
        if len(own_pairs) == 0 or self.gains.shape[0] == 0:
            return earlier
        a, b = self.gains[:, holder_pairs], self.gains[:, own_pairs]
        differ = a != b
        first = differ.argmax(axis=0)
        cols = np.arange(len(own_pairs))
        return np.where(differ.any(axis=0), a[first, cols] > b[first, cols], earlier)

    def unmatched(self) -> list[Unmatched]:
        data, P = self.data, self.pairs
        out = []
        missing = [h for h in range(data.H) if h not in self.d_of_h]
        no_pairs = np.array(
            [h for h in missing if h not in self.pairs_by_household], dtype=np.int64
        )
        rejection: dict[int, np.ndarray] = {}
        for hs in blocks(data, no_pairs):
            codes = rejection_codes(data, hs)
            rejection.update({int(h): codes[i] for i, h in enumerate(hs)})
        # Each household's candidate dwellings once (the first variant of a freed one,
        # R11), in dwelling-id order, all households at once.
        groups = [self.pairs_by_household[h] for h in missing if h in self.pairs_by_household]
        own = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
        rank = np.empty(data.D, dtype=np.int64)
        rank[self.by_dwelling_id] = np.arange(data.D)
        keys = P.h[own].astype(np.int64) * data.D + rank[P.d[own]]
        _, first = np.unique(keys, return_index=True)
        own = own[first]
        # The holder's pair against the household's own, for every held dwelling at once.
        holder_pair_of_d = np.full(data.D, -1, dtype=np.int64)
        for d, holder in self.h_of_d.items():
            holder_pair_of_d[d] = self.p_of_h[holder]
        holders = holder_pair_of_d[P.d[own]]
        held = holders >= 0
        heavier = np.zeros(len(own), dtype=bool)
        heavier[held] = self.outweighs(holders[held], own[held])
        entry = {
            d: {"dwelling": data.dwelling_ids[d], "household": data.household_ids[holder]}
            for d, holder in self.h_of_d.items()
        }
        decision = {
            d: {**entry[d], "decision": self.pinned[(holder, d)] or ""}
            for d, holder in self.h_of_d.items()
            if (holder, d) in self.pinned
        }
        cuts = np.flatnonzero(np.diff(P.h[own])) + 1
        candidates = {
            int(P.h[g[0]]): (P.d[g].tolist(), held[i].tolist(), heavier[i].tolist())
            for g, i in zip(np.split(own, cuts), np.split(np.arange(len(own)), cuts), strict=True)
            if len(g)
        }
        for h in missing:
            if h in rejection:
                found = self._no_dwelling(h, rejection[h])
            else:
                held_back = self._held_for_deadline(h)
                found = held_back or self._outranked(h, *candidates[h], entry, decision)
            if data.current[h] >= 0:
                found = self._tenant_stays(h, found)
            out.append(found)
        return out

    def _tenant_stays(self, h: int, inner: Unmatched) -> Unmatched:
        """A tenant not moved: the reason says it stays, and what blocked its move."""
        data = self.data
        hh = data.scenario.households[h]
        assert hh.transfer_reason is not None
        return inner.model_copy(
            update={
                "reason": reason(
                    "transfer_not_moved",
                    why=TRANSFER_REASON_TEXT[hh.transfer_reason.value],
                    current=data.dwelling_ids[int(data.current[h])],
                    detail=inner.reason.text,
                    blocked_by=inner.reason.code,
                    **{k: v for k, v in inner.reason.params.items() if k != "detail"},
                )
            }
        )

    def _outranked(
        self,
        h: int,
        dwellings: list[int],
        held: list[bool],
        heavier: list[bool],
        entry: dict[int, dict[str, str]],
        decision: dict[int, dict[str, str]],
    ) -> Unmatched:
        """Who took the household's candidate dwellings (by a decision, weighing heavier,
        or lighter but better for the whole proposal), and what kept the others empty.
        `dwellings` in id order, with whether each is held and by a heavier household."""
        hid = self.data.household_ids[h]
        decided, weighs, lighter = [], [], []
        blocked: Counter[str] = Counter()
        for d, is_held, is_heavier in zip(dwellings, held, heavier, strict=True):
            if not is_held:
                blocked.update(
                    self.chain_block(h, d) or self.state.broken_by(h, d) or ["objective"]
                )
            elif d in decision:
                decided.append(decision[d])
            elif is_heavier:
                weighs.append(entry[d])
            else:
                lighter.append(entry[d])
        taken = decided + weighs + lighter
        if not taken:
            return Unmatched(household=hid, reason=_blocked("blocked_by_round_rules", blocked))
        if decided and not weighs and not lighter:
            code, listed = "displaced_by_decision", decided
        elif lighter:
            code, listed = "better_overall", lighter + weighs
        else:
            code, listed = "outranked", weighs
        rules = sorted(c for c in blocked if c != "objective")
        rest = ""
        if rules:
            rest = " " + reason("rest_blocked", rules=", ".join(rule_text(c) for c in rules)).text
        elif blocked:
            rest = " " + reason("rest_objective").text
        params = dict(
            summary=_listing(listed),
            dwellings=len(taken),
            blocked=rest,
            blocked_codes=sorted(blocked),
        )
        if decided and code != "displaced_by_decision":
            params["decisions"] = _listing(decided)
            code += "_and_decision"
        return Unmatched(
            household=hid, reason=reason(code, **params), outranked_by=taken[:MAX_LISTED]
        )

    def _held_for_deadline(self, h: int) -> Unmatched | None:
        """The round alone would have offered this household a dwelling that the
        look-ahead gives to a household whose deadline comes before help would."""
        if self.myopic is None:
            return None
        data = self.data
        hid = data.household_ids[h]
        dwelling = self.myopic.get(hid)
        if dwelling is None:
            return None
        holder = self.h_of_d.get(data.dwelling_index[dwelling])
        taken = (
            []
            if holder is None
            else [{"dwelling": dwelling, "household": data.household_ids[holder]}]
        )
        if holder is not None and self.at_risk(holder):
            params = self._risk_params(holder)
            params.pop("dwelling", None)
            return Unmatched(
                household=hid,
                reason=reason(
                    "held_for_entry" if self.entering(holder) else "held_for_deadline",
                    dwelling=dwelling,
                    holder=data.household_ids[holder],
                    **params,
                ),
                outranked_by=taken,
            )
        if holder is None:
            return Unmatched(household=hid, reason=reason("lookahead_kept", dwelling=dwelling))
        return Unmatched(
            household=hid,
            reason=reason(
                "lookahead_shifted", dwelling=dwelling, holder=data.household_ids[holder]
            ),
            outranked_by=taken,
        )

    def _no_dwelling(self, h: int, codes: np.ndarray) -> Unmatched:
        data = self.data
        counts = Counter(CODES[int(n) - 1] for n in codes)
        blocking = [
            Blocking(
                dwelling=data.dwelling_ids[j],
                rule=RULE_OF_CODE[CODES[int(codes[j]) - 1]],
                code=CODES[int(codes[j]) - 1],
            )
            for j in self.by_dwelling_id[:MAX_LISTED]
        ]
        return Unmatched(
            household=data.household_ids[h],
            reason=reason(
                "no_feasible_dwelling",
                summary=_summary(counts) or "ingen ledige boliger",
                counts=dict(counts),
            ),
            blocking_rules=blocking,
        )

    def empty_dwellings(self) -> list[EmptyDwelling]:
        data, P = self.data, self.pairs
        out = []
        empty = [d for d in range(data.D) if d not in self.h_of_d]
        no_candidates = np.array(
            [d for d in empty if len(self.pairs_by_dwelling.get(d, [])) == 0], dtype=np.int64
        )
        counts = np.zeros((len(CODES) + 1, data.D), dtype=np.int64)
        if len(no_candidates):
            for hs in blocks(data):
                codes = rejection_codes(data, hs)[:, no_candidates]
                for k, d in enumerate(no_candidates):
                    counts[:, d] += np.bincount(codes[:, k], minlength=len(CODES) + 1)
        for d in empty:
            did = data.dwelling_ids[d]
            if d in self.stays:
                out.append(
                    EmptyDwelling(
                        dwelling=did,
                        reason=reason(
                            "tenant_stays", tenant=data.household_ids[int(data.tenant[d])]
                        ),
                    )
                )
                continue
            candidates = self.pairs_by_dwelling.get(d)
            if candidates is None or len(candidates) == 0:
                by_code = Counter(
                    {CODES[n - 1]: int(c) for n, c in enumerate(counts[:, d]) if n > 0 and c > 0}
                )
                out.append(
                    EmptyDwelling(
                        dwelling=did,
                        reason=reason(
                            "no_eligible_household",
                            summary=_summary(by_code) or "ingen søkere",
                            counts=dict(by_code),
                        ),
                    )
                )
                continue
            free = sorted({int(P.h[q]) for q in candidates if int(P.h[q]) not in self.d_of_h})
            if not free:
                out.append(
                    EmptyDwelling(
                        dwelling=did,
                        reason=reason("candidates_placed_elsewhere", candidates=len(candidates)),
                    )
                )
                continue
            if self.kept_for_later(d):
                assert self.outlook is not None
                out.append(
                    EmptyDwelling(
                        dwelling=did,
                        reason=reason(
                            "kept_for_deadlines",
                            kept=int(self.outlook.kept[d]),
                            futures=self.outlook.futures,
                            horizon=self.outlook.weeks,
                            candidates=len(free),
                        ),
                    )
                )
                continue
            blocked = Counter(
                c
                for u in free
                for c in (self.chain_block(u, d) or self.state.broken_by(u, d) or ["objective"])
            )
            out.append(EmptyDwelling(dwelling=did, reason=_blocked("candidates_blocked", blocked)))
        return out

    def kept_for_later(self, d: int) -> bool:
        """Left empty because the look-ahead values it for the coming weeks' deadlines."""
        kept = None if self.outlook is None else self.outlook.held()
        return kept is not None and d < len(kept) and bool(kept[d])

    # -- vacancy chains (R11) -------------------------------------------------------------
    def chains(self) -> list[Chain]:
        """Each vacancy chain (a vacancy → a tenant → its dwelling → …) and each two-way
        swap as one story, ordered by its first dwelling."""
        data, P = self.data, self.pairs
        ids, hids = data.dwelling_ids, data.household_ids

        def link(p: int) -> ChainLink:
            h = int(P.h[p])
            current = int(data.current[h])
            return ChainLink(
                household=hids[h],
                dwelling=ids[int(P.d[p])],
                move_in=date_of(self.move_in_of(p)),
                from_dwelling=ids[current] if current >= 0 else None,
            )

        out: list[Chain] = []
        for p in self.chosen_idx:
            h, d = int(P.h[p]), int(P.d[p])
            if P.swap[p]:
                other = int(data.tenant[d])
                if hids[h] > hids[other]:
                    continue
                first, second = link(int(p)), link(self.p_of_h[other])
                text = reason(
                    "swap_story",
                    a=first.household,
                    a_from=first.from_dwelling,
                    b=second.household,
                    b_from=second.from_dwelling,
                    move_in=first.move_in,
                ).text
                out.append(Chain(links=[first, second], swap=True, text=text))
                continue
            if data.tenant[d] >= 0 or data.current[h] < 0:
                continue  # not the start of a chain
            links, unlet, q = [], None, int(p)
            while True:
                links.append(link(q))
                current = int(data.current[int(P.h[q])])
                if current < 0:
                    break
                nxt = self.h_of_d.get(current)
                if nxt is None:
                    unlet = ids[current]
                    break
                q = self.p_of_h[nxt]
            parts = [ids[d]]
            for k, step in enumerate(links):
                parts.append(
                    step.household
                    + (f" (flytter fra {step.from_dwelling})" if step.from_dwelling else "")
                )
                if step.from_dwelling and k + 1 < len(links):
                    parts.append(step.from_dwelling)
            if unlet:
                parts.append(f"{unlet} ({FREED_UNLET})")
            out.append(Chain(links=links, freed_unlet=unlet, text=" → ".join(parts)))
        return sorted(out, key=lambda c: c.links[0].dwelling)

    def chain_kpis(self, chains: list[Chain]) -> dict[str, object]:
        """Transfers in numbers: applications, moves, overcrowding resolved, family flats
        freed and let, tenants' spare bedrooms before and after, chain lengths."""
        data, P = self.data, self.pairs
        households = data.scenario.households
        tenants = [int(h) for h in np.flatnonzero(data.current >= 0)]
        moved = [t for t in tenants if t in self.d_of_h]

        def spare(h: int, d: int) -> int:
            return max(0, int(data.bedrooms[d]) - int(data.bedrooms_needed[h]))

        freed_let = [int(P.d[p]) for p in self.chosen_idx if data.tenant[P.d[p]] >= 0]
        under = [
            d
            for d in freed_let
            if households[int(data.tenant[d])].transfer_reason is TransferReason.under_occupying
            and data.bedrooms[d] >= 2
        ]
        return dict(
            occupied_dwellings=int(data.occupied.sum()),
            transfer_applications=len(tenants),
            tenants_moved=len(moved),
            overcrowded_resolved=sum(
                1 for t in moved if households[t].transfer_reason is TransferReason.overcrowded
            ),
            family_flats_freed=len(under),
            tenant_spare_bedrooms_before=sum(spare(t, int(data.current[t])) for t in tenants),
            tenant_spare_bedrooms_after=sum(
                spare(t, self.d_of_h.get(t, int(data.current[t]))) for t in tenants
            ),
            chains=len(chains),
            chain_lengths={
                str(n): c for n, c in sorted(Counter(len(c.links) for c in chains).items())
            },
            housed_through_chains=len(freed_let),
        )

    # -- breaches and KPIs ----------------------------------------------------------------
    def breaches(self) -> list[Breach]:
        """Every household in breach of its deadline clock (switched on or not): due and
        unmatched or in a temporary dwelling, or matched with move-in after its deadline."""
        data, P = self.data, self.pairs
        out = []
        for household in np.flatnonzero(data.has_clock):
            h = int(household)
            clock = CLOCKS[int(data.clock[h])]
            deadline = date_of(data.deadline[h])
            p = self.p_of_h.get(h)
            common = dict(clock=clock.code, clock_name=clock.name, deadline=deadline)
            if p is None:
                if not data.due[h]:
                    continue
                days = int(self.unmatched_over[h])
                out.append(
                    Breach(
                        household=data.household_ids[h],
                        clock=clock.code,
                        deadline=deadline,
                        days_over=days,
                        reason=reason("no_dwelling_in_time", days_over=days, **common),
                    )
                )
            elif self.breach[p]:
                days = int(self.days_over[p])
                out.append(
                    Breach(
                        household=data.household_ids[h],
                        clock=clock.code,
                        deadline=deadline,
                        days_over=days,
                        dwelling=data.dwelling_ids[int(P.d[p])],
                        reason=reason("moved_in_late", days_over=days, **common),
                    )
                )
        return sorted(out, key=lambda b: b.household)

    def kpis(self, breaches: list[Breach], chains: list[Chain] | None = None) -> Kpis:
        data, P = self.data, self.pairs
        idx = self.chosen_idx
        before, after = kpi.dissimilarity_before_after(data, P.h[idx], P.d[idx])
        waits = [
            (data.scenario.as_of - data.scenario.households[int(h)].approved_on).days
            for h in P.h[idx]
        ]
        due = np.flatnonzero(data.due)
        occupied = int(data.occupied.sum())
        return Kpis(
            households=data.H,
            vacancies=data.D - occupied,
            housed=len(idx),
            unmatched=data.H - len(idx),
            empty_dwellings=data.D - len(idx) - len(self.stays),
            due_families=len(due),
            due_housed=sum(1 for h in due if int(h) in self.d_of_h),
            breaches=len(breaches),
            days_over=sum(b.days_over for b in breaches),
            breaches_by_clock=dict(Counter(b.clock for b in breaches)),
            dissimilarity_before=None if before is None else round(before, 4),
            dissimilarity_after=None if after is None else round(after, 4),
            vacancy_days=int(P.vacancy_days[idx].sum()),
            vacancy_rent_loss=round(float(P.vacancy_rent_loss[idx].sum()), 2),
            mean_wait_days_housed=round(float(np.mean(waits)), 1) if waits else None,
            **self.chain_kpis(chains or []),  # type: ignore[arg-type]
        )


def assemble(
    data: RoundData,
    pairs: Pairs,
    chosen: np.ndarray,
    run: RunInfo,
    objective: Objective | None = None,
    outlook: Outlook | None = None,
    myopic: dict[str, str] | None = None,
) -> Proposal:
    e = Explainer(data, pairs, chosen, objective, outlook, myopic)
    breaches = e.breaches()
    chains = e.chains()
    return Proposal(
        run=run,
        matches=e.matches(),
        unmatched=e.unmatched(),
        empty_dwellings=e.empty_dwellings(),
        breaches=breaches,
        kpis=e.kpis(breaches, chains),
        chains=chains,
        group_share=r10_group_share.report(data, pairs.h[e.chosen_idx], pairs.d[e.chosen_idx]),
    )
