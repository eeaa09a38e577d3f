"""An amount in Chinese financial capitals (大写金额), as a Chinese bill writes its total.

壹仟肆佰陆拾玖元整 for 1469.00: digits 零壹贰叁肆伍陆柒捌玖, places 拾佰仟 within a
group of four, groups 万 and 亿; one 零 stands for any run of zeros between
non-zero digits; 整 ends an amount without 分.
"""

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group(value: int) -> str:
    """0 < value < 10 000, without leading 零."""
    text, pending_zero = "", False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += DIGITS[0]
            pending_zero = False
        text += DIGITS[digit] + PLACES[place]
    return text


def _integer(value: int) -> str:
    groups = []
    while value:
        groups.append(value % 10_000)
        value //= 10_000
    if len(groups) > len(GROUPS):
        raise ValueError("amount too large for Chinese capitals")
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        # A zero before this group (a lower group short of four digits, or groups skipped) reads 零.
        if text and (group < 1000 or groups[index + 1] == 0):
            text += DIGITS[0]
        text += _group(group) + GROUPS[index]
    return text


def in_capitals(amount: Decimal) -> str:
    if amount < 0:
        raise ValueError("a bill's amount is never negative")
    fen_total = int((amount * 100).to_integral_value())
    if Decimal(fen_total) != amount * 100:
        raise ValueError("an amount in capitals has at most two decimals")
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += DIGITS[0]
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text
