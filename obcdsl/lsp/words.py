"""Amounts of money in words, as a contract or a cheque writes them: £37,110,000 is
"thirty-seven million, one hundred and ten thousand pounds"."""

from __future__ import annotations

from decimal import Decimal

from ..money import PENNY

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (10 ** 3, "thousand"))


def below_hundred(number: int) -> str:
    if number < 20:
        return ONES[number]
    tens, ones = divmod(number, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    if not hundreds:
        return below_hundred(rest)
    return f"{ONES[hundreds]} hundred" + (f" and {below_hundred(rest)}" if rest else "")


def number_words(number: int) -> str:
    """A whole number in British English words: 1,000,005 is "one million and five"."""
    if number < 0:
        return "minus " + number_words(-number)
    if number == 0:
        return "zero"
    groups = []
    for size, word in SCALES:
        count, number = divmod(number, size)
        if count:
            groups.append(f"{number_words(count)} {word}")
    if number:
        groups.append(("and " if groups and number < 100 else "") + below_thousand(number))
    text = groups[0]
    for group in groups[1:]:
        text += (" " if group.startswith("and ") else ", ") + group
    return text


def pounds_words(amount: Decimal) -> str:
    """`Decimal("37110000")` → "thirty-seven million, one hundred and ten thousand pounds"."""
    pennies = int((abs(amount).quantize(PENNY) * 100).to_integral_value())
    whole, pence = divmod(pennies, 100)
    sign = "minus " if amount < 0 else ""
    parts = []
    if whole or not pence:
        parts.append(f"{number_words(whole)} pound{'' if whole == 1 else 's'}")
    if pence:
        parts.append(f"{number_words(pence)} pence" if pence != 1 else "one penny")
    return sign + " and ".join(parts)
