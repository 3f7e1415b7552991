"""Civil Code Article 278 thresholds at and around each boundary: exactly 2/3, exactly 3/4, exactly half."""

from decimal import Decimal
from fractions import Fraction

from consultations.choices import BallotChoice
from consultations.tally import tally

FOR, AGAINST, ABSTAIN = BallotChoice.FOR, BallotChoice.AGAINST, BallotChoice.ABSTAIN
A = Decimal("100")
HALF_SHARE = Fraction(1, 2)


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


# --- heads per owner: one owner of several units counts once (SPC interpretation on co-ownership, Art. 9) ---


def owned(*rows):
    """(owner key, area, choice) → the tally's rows (area, choice, channel, owner key)."""
    return [(Decimal(area), choice, None, key) for key, area, choice in rows]


def per_unit(rows):
    """The same rows counted the old way, each unit a head (to show the owner rule decides the case)."""
    return [(area, choice) for area, choice, *_ in rows]


def nine_units_owner_a_holds_three(choices_a, *choices_others, area_a="100"):
    """9 units: owner A holds 3 (all with A's choice), owners B…G one each: 7 heads."""
    others = [(key, "100", choice) for key, choice in zip("BCDEFG", choices_others, strict=True)]
    return owned(*[("A", area_a, choices_a)] * 3, *others)


def test_owner_of_three_units_is_one_head_of_seven():
    result = tally(voters=nine_units_owner_a_holds_three(None, None, None, None, None, None, None), major=False)
    assert result.total_owners == 7 and result.total_area == Decimal("900")


def test_participation_passes_by_units_but_fails_by_owners():
    # A's 3 units and 3 other owners: 6 of 9 units (2/3) but 4 of 7 owners (< 2/3); area 600/900 = 2/3
    rows = nine_units_owner_a_holds_three(FOR, FOR, FOR, FOR, None, None, None)
    assert tally(voters=per_unit(rows), major=False).participation_met
    result = tally(voters=rows, major=False)
    assert result.area_participation_met and not result.owner_participation_met and not result.passed
    assert (result.voted_owners, result.total_owners, result.owners_still_needed) == (4, 7, 1)


def test_participation_fails_by_units_but_passes_by_owners():
    # A (3 small units) stays away; 5 of 7 owners (> 2/3) take part, only 5 of 9 units (< 2/3); area 500/530
    rows = nine_units_owner_a_holds_three(None, FOR, FOR, FOR, FOR, FOR, None, area_a="10")
    assert not tally(voters=per_unit(rows), major=False).participation_met
    result = tally(voters=rows, major=False)
    assert result.participation_met and result.passed


def test_participation_of_exactly_two_thirds_of_owners_with_an_owner_of_three_units():
    # 8 units, A holds 3: 6 heads; A and 3 others take part = 4 of 6 heads (exactly 2/3), 6 of 8 units
    rows = owned(*[("A", "100", FOR)] * 3, ("B", "100", FOR), ("C", "100", FOR), ("D", "100", FOR))
    rows += owned(("E", "100", None), ("F", "100", None))
    result = tally(voters=rows, major=False)
    assert result.owner_participation == Fraction(2, 3) and result.owner_participation_met and result.passed
    # one head fewer (D stays away): 3 of 6 owners, though still 5 of 8 units
    rows[5] = (Decimal("100"), None, None, "D")
    assert not tally(voters=rows, major=False).owner_participation_met


def test_major_matter_passes_by_units_but_fails_by_owners():
    # all 7 owners vote; A (3 units) and 4 others for, 2 against: 7 of 9 units (77.8%) but 5 of 7 owners (71.4%)
    rows = nine_units_owner_a_holds_three(FOR, FOR, FOR, FOR, FOR, AGAINST, AGAINST)
    assert tally(voters=per_unit(rows), major=True).passed
    result = tally(voters=rows, major=True)
    assert result.area_approval_met and not result.owner_approval_met and not result.passed


def test_major_matter_exactly_three_quarters_of_owners_passes_though_half_the_units_are_against():
    # A (3 units of 10 m²) against; B, C, D for: 3 of 4 owners (exactly 3/4), 3 of 6 units; area 300/330
    rows = owned(*[("A", "10", AGAINST)] * 3, ("B", "100", FOR), ("C", "100", FOR), ("D", "100", FOR))
    assert not tally(voters=per_unit(rows), major=True).passed
    result = tally(voters=rows, major=True)
    assert result.owner_approval == Fraction(3, 4) and result.passed


def test_ordinary_matter_exactly_half_of_owners_fails_though_most_units_approve():
    # A (3 units) and B for, C and D against: 4 of 6 units for, but 2 of 4 owners — exactly half, not more
    rows = owned(*[("A", "100", FOR)] * 3, ("B", "100", FOR), ("C", "100", AGAINST), ("D", "100", AGAINST))
    assert tally(voters=per_unit(rows), major=False).passed
    result = tally(voters=rows, major=False)
    assert result.owner_approval == HALF_SHARE and result.area_approval_met and not result.passed


def test_ordinary_matter_owner_of_three_units_is_outvoted_by_two_owners():
    rows = owned(*[("A", "100", FOR)] * 3, ("B", "100", AGAINST), ("C", "100", AGAINST))
    assert tally(voters=per_unit(rows), major=False).passed  # 3 of 5 units
    assert not tally(voters=rows, major=False).owner_approval_met  # 1 of 3 owners


def test_an_owner_whose_units_voted_differently_counts_as_one_abstaining_head():
    rows = owned(("A", "100", FOR), ("A", "100", AGAINST), ("B", "100", FOR))
    result = tally(voters=rows, major=False)
    assert (result.voted_owners, result.for_owners, result.abstain_owners) == (2, 1, 1)
    assert result.for_area == Decimal("200")


def test_units_without_an_owner_key_each_count_as_a_head():
    rows = [(A, FOR, None, None), (A, FOR, None, None), (A, None, None, "X")]
    assert tally(voters=rows, major=False).total_owners == 3
