"""Counting a vote under the PRC Civil Code, Article 278, with exact fractions.

Participation needs at least 2/3 of the exclusive floor area AND at least 2/3 of the owners. An owner counts once
by head however many units of the electorate they hold, and with the area of all their units (the Supreme
People's Court's interpretation on building co-ownership, Art. 9). Approval needs at least 3/4 of the participating area AND of the participating owners for raising the
maintenance fund, rebuilding or altering, or changing the use of common parts; more than half of each otherwise.
Abstentions participate but do not approve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from consultations.choices import MAJOR_MATTERS, BallotChannel, BallotChoice

TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Tally:
    major: bool
    total_area: Decimal
    total_owners: int
    voted_area: Decimal
    voted_owners: int
    for_area: Decimal
    for_owners: int
    against_owners: int
    abstain_owners: int
    # How the ballots came in: those staff entered on the owners' behalf are shown apart from the owners' own.
    paper_ballots: int = 0
    online_ballots: int = 0
    staff_entered_ballots: int = 0

    # --- participation ---
    @property
    def area_participation(self) -> Fraction:
        return Fraction(self.voted_area) / Fraction(self.total_area) if self.total_area else Fraction(0)

    @property
    def owner_participation(self) -> Fraction:
        return Fraction(self.voted_owners, self.total_owners) if self.total_owners else Fraction(0)

    @property
    def area_participation_met(self) -> bool:
        return self.total_owners > 0 and self.area_participation >= TWO_THIRDS

    @property
    def owner_participation_met(self) -> bool:
        return self.total_owners > 0 and self.owner_participation >= TWO_THIRDS

    @property
    def participation_met(self) -> bool:
        return self.area_participation_met and self.owner_participation_met

    # --- approval ---
    @property
    def approval_threshold(self) -> Fraction:
        return THREE_QUARTERS if self.major else HALF

    @property
    def area_approval(self) -> Fraction:
        return Fraction(self.for_area) / Fraction(self.voted_area) if self.voted_area else Fraction(0)

    @property
    def owner_approval(self) -> Fraction:
        return Fraction(self.for_owners, self.voted_owners) if self.voted_owners else Fraction(0)

    def _approves(self, share: Fraction) -> bool:
        return share >= THREE_QUARTERS if self.major else share > HALF

    @property
    def area_approval_met(self) -> bool:
        return self.voted_owners > 0 and self._approves(self.area_approval)

    @property
    def owner_approval_met(self) -> bool:
        return self.voted_owners > 0 and self._approves(self.owner_approval)

    @property
    def approval_met(self) -> bool:
        return self.area_approval_met and self.owner_approval_met

    @property
    def passed(self) -> bool:
        return self.participation_met and self.approval_met

    # --- what is still needed while the vote is open ---
    @property
    def area_still_needed(self) -> Decimal:
        """m² of further participation needed to reach 2/3 of the area (0 when reached)."""
        missing = TWO_THIRDS * Fraction(self.total_area) - Fraction(self.voted_area)
        if missing <= 0:
            return Decimal(0)
        return (Decimal(missing.numerator) / Decimal(missing.denominator)).quantize(
            Decimal("0.01"), rounding="ROUND_CEILING"
        )

    @property
    def owners_still_needed(self) -> int:
        return max(0, math.ceil(TWO_THIRDS * self.total_owners) - self.voted_owners)


def tally(*, voters, major: bool) -> Tally:
    """``voters``: (area, choice or None[, channel[, owner key]]) for every unit of the frozen electorate.

    Area is counted per unit, heads per owner key: units with the same key are one owner; a unit without a key
    (None, or no key given) is an owner of its own. An owner takes part when any of their units has a ballot,
    and their head counts for the choice of their ballots (ballot_record gives all of an owner's units the same
    one; should they differ, the head counts as abstaining: it took part but approved nothing)."""
    total_area = voted_area = for_area = Decimal(0)
    heads: dict = {}  # owner key -> [choices of the owner's ballots, first channel]
    for index, (area, choice, *rest) in enumerate(voters):
        channel = rest[0] if rest else None
        key = rest[1] if len(rest) > 1 and rest[1] is not None else ("unit", index)
        head = heads.setdefault(key, [set(), None])
        total_area += area
        if choice is None:
            continue
        head[0].add(choice)
        if head[1] is None:
            head[1] = channel
        voted_area += area
        if choice == BallotChoice.FOR:
            for_area += area
    voted = for_count = against = abstain = 0
    channels = dict.fromkeys(BallotChannel.values, 0)
    for choices, channel in heads.values():
        if not choices:
            continue
        voted += 1
        if channel in channels:
            channels[channel] += 1
        choice = choices.pop() if len(choices) == 1 else BallotChoice.ABSTAIN
        if choice == BallotChoice.FOR:
            for_count += 1
        elif choice == BallotChoice.AGAINST:
            against += 1
        else:
            abstain += 1
    return Tally(
        major=major,
        total_area=total_area,
        total_owners=len(heads),
        voted_area=voted_area,
        voted_owners=voted,
        for_area=for_area,
        for_owners=for_count,
        against_owners=against,
        abstain_owners=abstain,
        paper_ballots=channels[BallotChannel.PAPER],
        online_ballots=channels[BallotChannel.ONLINE],
        staff_entered_ballots=channels[BallotChannel.STAFF],
    )


def is_major(matter_type: str) -> bool:
    return matter_type in MAJOR_MATTERS


def percent(share: Fraction) -> str:
    return f"{float(share) * 100:.1f}%"
