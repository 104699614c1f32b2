"""Numbers as people read them: Dutch (1.234; 12,5; 43%) or English (1,234; 12.5; 43%)."""
from __future__ import annotations

from typing import Optional

DASH = "–"


def integer(value: Optional[float], language: str = "nl") -> str:
    """1234 -> '1.234' (nl) or '1,234' (en)."""
    if value is None:
        return DASH
    text = f"{int(value):,}"
    return text.replace(",", ".") if language == "nl" else text


def decimal(value: Optional[float], digits: int = 1, language: str = "nl") -> str:
    """1234.56 -> '1.234,6' (nl) or '1,234.6' (en)."""
    if value is None:
        return DASH
    text = f"{value:,.{digits}f}"
    if language == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(share: Optional[float], language: str = "nl") -> str:
    """A fraction as a whole percentage: 0.4286 -> '43%'; below 10% with one decimal ('7,5%')."""
    if share is None:
        return DASH
    value = share * 100
    if value != 0 and abs(value) < 10 and round(value, 1) != round(value):
        return f"{decimal(value, 1, language)}%"
    return f"{integer(round(value), language)}%"


def hours(value: Optional[float], language: str = "nl") -> str:
    """A duration in hours: '84,0 uur (3,5 dagen)', '5,2 uur' below a day."""
    if value is None:
        return DASH
    if language == "nl":
        text = f"{decimal(value, 1, language)} uur"
        return f"{text} ({decimal(value / 24, 1, language)} dagen)" if value >= 24 else text
    text = f"{decimal(value, 1, language)} hours"
    return f"{text} ({decimal(value / 24, 1, language)} days)" if value >= 24 else text


def change(current: int, previous: int, language: str = "nl") -> Optional[float]:
    """Relative change from previous to current (0.12 for 12% more); None when previous is 0."""
    if not previous:
        return None
    return (current - previous) / previous
