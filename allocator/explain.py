"""Turn a chosen set of pairs into a Proposal: matches with score parts and reasons,
computed alternates, unmatched households and empty dwellings with reasons, breaches, KPIs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np

from allocator import kpis as kpi
from allocator.data import RoundData
from allocator.pairs import Pairs, blocks, group_positions, rejection_codes
from allocator.reasons import NEED_TEXT, reason, rule_text
from allocator.round_state import RoundState
from allocator.rules import CODES, RULE_OF_CODE, r7_temporary
from models.proposal import (
    Alternate,
    Blocking,
    Breach,
    EmptyDwelling,
    Kpis,
    Match,
    Proposal,
    Reason,
    RunInfo,
    ScoreParts,
    Unmatched,
)

#: Most dwellings listed one by one in a "why not" explanation; the rest are counted.
MAX_LISTED = 40


def date_of(day: int) -> dt.date:
    return dt.date.fromordinal(int(day))


def _blocked(code: str, blocked: Counter[str]) -> Reason:
    """A reason naming the round rules (or the objective) that kept candidates out."""
    rules = ", ".join(rule_text(c) for c in sorted(blocked))
    return reason(code, rules=rules, codes=sorted(blocked))


def _summary(counts: Counter[str]) -> str:
    return "; ".join(f"{rule_text(code)} ({n})" for code, n in counts.most_common())


class Explainer:
    def __init__(self, data: RoundData, pairs: Pairs, chosen: np.ndarray):
        self.data = data
        self.pairs = pairs
        self.chosen_idx = np.flatnonzero(chosen)
        self.h_of_d = {int(pairs.d[p]): int(pairs.h[p]) for p in self.chosen_idx}
        self.d_of_h = {int(pairs.h[p]): int(pairs.d[p]) for p in self.chosen_idx}
        self.p_of_h = {int(pairs.h[p]): int(p) for p in self.chosen_idx}
        self.state = RoundState(data, pairs.h[self.chosen_idx], pairs.d[self.chosen_idx])
        self.pairs_by_dwelling = group_positions(pairs.d)
        self.pairs_by_household = group_positions(pairs.h)
        self.pinned = {
            (data.household_index[p.household], data.dwelling_index[p.dwelling]): p.reason
            for p in data.scenario.locks.pinned
        }

    # -- matches -------------------------------------------------------------------------
    def score(self, p: int) -> ScoreParts:
        P, w = self.pairs, self.data.policy.weights
        h = int(P.h[p])
        hh = self.data.scenario.households[h]
        return ScoreParts(
            priority_points=w.priority_points[hh.priority],
            waiting_points=int(P.housing[p]) - w.priority_points[hh.priority],
            preference_rank=int(P.preference_rank[p]) if hh.preferred_districts else None,
            spare_bedrooms=int(P.spare_bedrooms[p]),
            school_travel_minutes=int(P.school_minutes[p]),
            vacancy_days=int(P.vacancy_days[p]),
            vacancy_rent_loss=round(float(P.vacancy_rent_loss[p]), 2),
            concentration_cost=int(P.concentration[p]),
            fit_cost=int(P.fit[p]),
        )

    def match_reasons(self, p: int) -> list:
        data, P = self.data, self.pairs
        h, d = int(P.h[p]), int(P.d[p])
        hh = data.scenario.households[h]
        district_id = data.district_ids[data.d_district[d]]
        district = data.scenario.districts[data.d_district[d]].name or district_id
        out = []
        if (h, d) in self.pinned:
            note = self.pinned[(h, d)]
            out.append(reason("pinned", reason_suffix=f": {note}" if note else ""))
        if data.due[h]:
            common = dict(
                move_in=str(date_of(P.move_in[p])), deadline=str(date_of(data.deadline[h]))
            )
            if P.late[p] > 0:
                out.append(reason("due_family_late", days_over=int(P.late[p]), **common))
            else:
                out.append(reason("due_family_on_time", **common))
        waiting = (data.scenario.as_of - hh.approved_on).days
        out.append(
            reason("priority", priority=hh.priority, waiting_days=waiting, points=int(P.housing[p]))
        )
        if hh.preferred_districts:
            rank = int(P.preference_rank[p])
            if rank < len(hh.preferred_districts):
                out.append(reason("preferred_district", rank=rank + 1, district=district,
                                  district_id=district_id))
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
            out.append(reason("needs_met", needs=", ".join(NEED_TEXT[k] for k in needs),
                              codes=needs))
        if P.spare_bedrooms[p] > 0:
            out.append(reason("spare_bedrooms", spare=int(P.spare_bedrooms[p])))
        out.append(reason("competition", candidates=len(self.pairs_by_dwelling.get(d, []))))
        return out

    def alternates(self, p: int, k: int) -> list[Alternate]:
        """Who gets the dwelling if this offer is declined, with every other offer standing:
        the best unmatched candidates that the round rules admit, ranked by the same
        lexicographic objective as the proposal (deadline, priority and waiting, fit, tie)."""
        data, P = self.data, self.pairs
        h, d = int(P.h[p]), int(P.d[p])
        q = np.asarray(self.pairs_by_dwelling.get(d, []), dtype=np.int64)
        u = P.h[q]
        on_time, days_saved = r7_temporary.deadline_gains(data, u, P.late[q], data.ranked_due)
        # Best first: due and on time, fewer days over, more housing points, better fit,
        # earlier approval, then the fixed jitter (np.lexsort: last key is primary).
        order = np.lexsort((P.tie_jitter[q], data.order[u], P.fit[q], -P.housing[q],
                            -days_saved, -on_time))
        out: list[Alternate] = []
        for i in order:
            candidate, pair = int(u[i]), int(q[i])
            if candidate == h or candidate in self.d_of_h:
                continue
            if self.state.broken_by(candidate, d, leaving=h, leaving_from=d):
                continue
            out.append(Alternate(rank=len(out) + 1, household=data.household_ids[candidate],
                                 move_in=date_of(P.move_in[pair]), reason=reason("alternate")))
            if len(out) == k:
                break
        return out

    def matches(self) -> list[Match]:
        data, P = self.data, self.pairs
        k = data.policy.solver.alternates
        out = []
        for p in sorted(self.chosen_idx, key=lambda q: data.dwelling_ids[int(P.d[q])]):
            h, d = int(P.h[p]), int(P.d[p])
            out.append(
                Match(
                    household=data.household_ids[h],
                    dwelling=data.dwelling_ids[d],
                    move_in=date_of(P.move_in[p]),
                    pinned=(h, d) in self.pinned,
                    score=self.score(p),
                    reasons=self.match_reasons(p),
                    alternates=self.alternates(p, k),
                )
            )
        return out

    # -- unmatched households and empty dwellings -----------------------------------------
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
        for h in missing:
            hid = data.household_ids[h]
            if h in rejection:
                blocking = [
                    Blocking(
                        dwelling=data.dwelling_ids[j],
                        rule=RULE_OF_CODE[CODES[n - 1]],
                        code=CODES[n - 1],
                    )
                    for j, n in enumerate(rejection[h])
                ]
                counts = Counter(b.code for b in blocking)
                out.append(
                    Unmatched(
                        household=hid,
                        reason=reason(
                            "no_feasible_dwelling",
                            summary=_summary(counts) or "ingen ledige boliger",
                            counts=dict(counts),
                        ),
                        blocking_rules=sorted(blocking, key=lambda b: b.dwelling)[:MAX_LISTED],
                    )
                )
                continue
            taken, blocked = [], Counter()
            for q in self.pairs_by_household[h]:
                d = int(P.d[q])
                if d in self.h_of_d:
                    taken.append(
                        {
                            "dwelling": data.dwelling_ids[d],
                            "household": data.household_ids[self.h_of_d[d]],
                        }
                    )
                else:
                    blocked.update(self.state.broken_by(h, d) or ["objective"])
            taken.sort(key=lambda t: t["dwelling"])
            if taken:
                summary = ", ".join(f"{t['dwelling']} → {t['household']}" for t in taken[:5])
                out.append(
                    Unmatched(
                        household=hid,
                        reason=reason(
                            "outranked",
                            summary=summary + (" m.fl." if len(taken) > 5 else ""),
                            dwellings=len(taken),
                        ),
                        outranked_by=taken[:MAX_LISTED],
                    )
                )
            else:
                out.append(
                    Unmatched(household=hid, reason=_blocked("blocked_by_round_rules", blocked))
                )
        return out

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
            free = [int(P.h[q]) for q in candidates if int(P.h[q]) not in self.d_of_h]
            if not free:
                out.append(
                    EmptyDwelling(
                        dwelling=did,
                        reason=reason("candidates_placed_elsewhere", candidates=len(candidates)),
                    )
                )
                continue
            blocked = Counter(
                c for u in free for c in (self.state.broken_by(u, d) or ["objective"])
            )
            out.append(EmptyDwelling(dwelling=did, reason=_blocked("candidates_blocked", blocked)))
        return out

    # -- breaches and KPIs ----------------------------------------------------------------
    def breaches(self) -> list[Breach]:
        data, P = self.data, self.pairs
        over = r7_temporary.unmatched_days_over(data)
        out = []
        for h in np.flatnonzero(data.due):
            h = int(h)
            deadline = date_of(data.deadline[h])
            p = self.p_of_h.get(h)
            if p is None:
                out.append(
                    Breach(
                        household=data.household_ids[h],
                        deadline=deadline,
                        days_over=int(over[h]),
                        reason=reason("no_dwelling_in_time", days_over=int(over[h])),
                    )
                )
            elif P.late[p] > 0:
                out.append(
                    Breach(
                        household=data.household_ids[h],
                        deadline=deadline,
                        days_over=int(P.late[p]),
                        dwelling=data.dwelling_ids[int(P.d[p])],
                        reason=reason("moved_in_late", days_over=int(P.late[p])),
                    )
                )
        return sorted(out, key=lambda b: b.household)

    def kpis(self, breaches: list[Breach]) -> Kpis:
        data, P = self.data, self.pairs
        idx = self.chosen_idx
        before, after = kpi.dissimilarity_before_after(data, P.h[idx], P.d[idx])
        waits = [
            (data.scenario.as_of - data.scenario.households[int(h)].approved_on).days
            for h in P.h[idx]
        ]
        due = np.flatnonzero(data.due)
        return Kpis(
            households=data.H,
            vacancies=data.D,
            housed=len(idx),
            unmatched=data.H - len(idx),
            empty_dwellings=data.D - len(idx),
            due_families=len(due),
            due_housed=sum(1 for h in due if int(h) in self.d_of_h),
            breaches=len(breaches),
            days_over=sum(b.days_over for b in breaches),
            dissimilarity_before=None if before is None else round(before, 4),
            dissimilarity_after=None if after is None else round(after, 4),
            vacancy_days=int(P.vacancy_days[idx].sum()),
            vacancy_rent_loss=round(float(P.vacancy_rent_loss[idx].sum()), 2),
            mean_wait_days_housed=round(float(np.mean(waits)), 1) if waits else None,
        )


def assemble(data: RoundData, pairs: Pairs, chosen: np.ndarray, run: RunInfo) -> Proposal:
    e = Explainer(data, pairs, chosen)
    breaches = e.breaches()
    return Proposal(
        run=run,
        matches=e.matches(),
        unmatched=e.unmatched(),
        empty_dwellings=e.empty_dwellings(),
        breaches=breaches,
        kpis=e.kpis(breaches),
    )
