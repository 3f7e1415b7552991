"""Validators of Chinese identifiers used in the programme's records."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the unified social credit code (统一社会信用代码) is 18 characters from this set of 31 (no I, O, Z,
# S or V); the last one is a check character computed from the first 17 with these weights.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character of a code's first 17 characters (all from the charset)."""
    total = sum(CREDIT_CODE_CHARSET.index(char) * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse a unified social credit code of the wrong length, with a forbidden character or a wrong check
    character (a typo is caught here, not when the company's contract is signed)."""
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters."), code="credit_code_length", params={"value": value}
        )
    if any(char not in CREDIT_CODE_CHARSET for char in value):
        raise ValidationError(
            _("A unified social credit code uses only digits and capital letters other than I, O, Z, S and V."),
            code="credit_code_charset",
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The unified social credit code is mistyped: its check character does not match."),
            code="credit_code_check",
        )
