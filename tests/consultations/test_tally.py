"""Civil Code Article 278 thresholds at and around each boundary: exactly 2/3, exactly 3/4, exactly half."""

from decimal import Decimal

from consultations.choices import BallotChoice
from consultations.tally import tally

FOR, AGAINST, ABSTAIN = BallotChoice.FOR, BallotChoice.AGAINST, BallotChoice.ABSTAIN
A = Decimal("100")


def units(*choices, area=A):
    return [(area, choice) for choice in choices]


def test_participation_of_exactly_two_thirds_is_enough():
    result = tally(voters=units(FOR, FOR, None), major=False)
    assert result.participation_met and result.passed


def test_participation_just_below_two_thirds_of_owners_fails():
    # 6 of 10 owners (< 2/3) though they hold most of the area
    voters = [(Decimal("200"), FOR)] * 6 + [(Decimal("10"), None)] * 4
    result = tally(voters=voters, major=False)
    assert result.area_participation_met and not result.owner_participation_met and not result.passed
    assert result.owners_still_needed == 1


def test_participation_just_below_two_thirds_of_area_fails():
    # 7 of 9 owners take part (> 2/3) but hold 199.99 of 300 m² (< 2/3)
    voters = [(Decimal("28.57"), FOR)] * 7 + [(Decimal("50.005"), None)] * 2
    result = tally(voters=voters, major=False)
    assert result.owner_participation_met and not result.area_participation_met
    assert result.area_still_needed > 0


def test_area_around_two_thirds_with_decimals():
    assert tally(
        voters=[(Decimal("40"), FOR), (Decimal("40"), FOR), (Decimal("40"), None)], major=False
    ).area_participation_met  # 80/120 = 2/3 exactly
    assert tally(voters=[(Decimal("66.67"), FOR), (Decimal("33.33"), None)], major=False).area_participation_met
    assert not tally(voters=[(Decimal("66.66"), FOR), (Decimal("33.34"), None)], major=False).area_participation_met


def test_major_matter_needs_three_quarters_exactly_three_quarters_passes():
    result = tally(voters=units(FOR, FOR, FOR, AGAINST), major=True)
    assert result.approval_met and result.passed


def test_major_matter_just_below_three_quarters_of_area_fails():
    result = tally(voters=[(Decimal("74.99"), FOR), (Decimal("25.01"), AGAINST)] * 2, major=True)
    assert not result.area_approval_met and not result.passed


def test_major_matter_just_below_three_quarters_of_owners_fails():
    # 8 owners vote, 5 for (62.5%), though they hold 80% of the area
    voters = [(Decimal("160"), FOR)] * 5 + [(Decimal("66.67"), AGAINST)] * 3
    result = tally(voters=voters, major=True)
    assert result.area_approval_met and not result.owner_approval_met and not result.passed
    assert tally(voters=units(FOR, FOR, AGAINST, None), major=True).owner_approval_met is False  # 2 of 3


def test_ordinary_matter_exactly_half_is_not_enough():
    result = tally(voters=units(FOR, AGAINST, FOR, AGAINST), major=False)
    assert result.participation_met and not result.approval_met and not result.passed


def test_ordinary_matter_just_over_half_passes():
    result = tally(voters=units(FOR, FOR, FOR, AGAINST, AGAINST), major=False)
    assert result.passed


def test_abstentions_take_part_but_do_not_approve():
    result = tally(voters=units(FOR, FOR, ABSTAIN, ABSTAIN), major=False)
    assert result.participation_met and not result.approval_met


def test_area_and_headcount_both_count():
    # 3 of 4 owners for (75%) but the one against holds most of the area
    voters = [(Decimal("50"), FOR)] * 3 + [(Decimal("500"), AGAINST)]
    result = tally(voters=voters, major=True)
    assert result.owner_approval_met and not result.area_approval_met and not result.passed


def test_what_is_still_needed_while_open():
    voters = [(Decimal("90"), FOR)] * 3 + [(Decimal("90"), None)] * 3
    result = tally(voters=voters, major=False)
    assert result.owners_still_needed == 1 and result.area_still_needed == Decimal("90.00")


def test_an_empty_electorate_never_passes():
    assert not tally(voters=[], major=False).passed
