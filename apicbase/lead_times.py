"""Whether the delivery date a restaurant asks for leaves each line its lead time.

A lead time is a number of the supplier's working days counted from the day the order was placed
(the restaurant's local day): an order placed on a Friday with a lead time of two days can be
delivered on the Tuesday. Which days are working days is the caller's (Odoo's company calendar,
holidays included): it is given as a predicate, so this module knows no calendar and no Odoo.
"""
import datetime as dt
from dataclasses import dataclass

# However the calendar is set, a lead time is reached within this many calendar days or the
# calendar has no working day at all (a year of holidays is a configuration mistake, said so).
MAX_SEARCH_DAYS = 3660


@dataclass(frozen=True)
class LineLeadTime:
    """One order line: what it is called and its lead time in working days (0 or None: none)."""
    label: str
    days: int | None


@dataclass(frozen=True)
class DeliveryCheck:
    """The outcome for one order: the day asked for, the earliest day every line can make, and
    the lines that cannot make the day asked for (slowest first)."""
    ordered_day: dt.date
    requested_day: dt.date
    earliest_day: dt.date
    late_lines: tuple = ()

    @property
    def too_early(self):
        return bool(self.late_lines)


def local_day(moment, tz):
    """The day of ``moment`` in the time zone ``tz``. A naive ``moment`` is UTC, as Odoo stores it
    (a date Apicbase sent without a time was stored as the restaurant's local midnight, so it
    comes back as that day); a ``date`` is its own day."""
    if not isinstance(moment, dt.datetime):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(tz).date()


def add_working_days(start, days, is_working_day):
    """The ``days``-th working day after the day ``start`` (``start`` itself for 0 days).

    Raises ValueError when no working day comes for MAX_SEARCH_DAYS days: a calendar without
    working days cannot say when anything is delivered.
    """
    if days < 0:
        raise ValueError(f"a lead time cannot be negative, got {days}")
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if (day - start).days > MAX_SEARCH_DAYS:
            raise ValueError(f"no working day in the {MAX_SEARCH_DAYS} days after {start.isoformat()}: "
                             "check the company's working hours and holidays")
        if is_working_day(day):
            counted += 1
    return day


def check_delivery(ordered_day, requested_day, lines, is_working_day):
    """Whether ``requested_day`` leaves each of ``lines`` (LineLeadTime) its lead time from
    ``ordered_day``; None when no day was asked for. The slowest line decides the earliest day;
    lines without a lead time can always make it."""
    if requested_day is None:
        return None
    earliest, late = ordered_day, []
    for line in lines:
        if (line.days or 0) <= 0:  # none, or none that counts
            continue
        line_earliest = add_working_days(ordered_day, int(line.days), is_working_day)
        earliest = max(earliest, line_earliest)
        if line_earliest > requested_day:
            late.append(line)
    late.sort(key=lambda line: -line.days)  # stable: lines of one lead time keep the order's order
    return DeliveryCheck(ordered_day, requested_day, earliest, tuple(late))


def weekdays_and_holidays(weekdays, holidays=()):
    """A working-day predicate from the weekdays worked (0 = Monday) and the holidays (dates)."""
    weekdays, holidays = frozenset(weekdays), frozenset(holidays)
    return lambda day: day.weekday() in weekdays and day not in holidays
