"""Lead times counted in working days: whether a requested delivery date leaves each line its time."""
import datetime as dt
import zoneinfo

import pytest

from apicbase import lead_times
from apicbase.lead_times import LineLeadTime
from apicbase.payload import naive_utc, parse_datetime

MONDAY_TO_FRIDAY = lead_times.weekdays_and_holidays(range(5))
FRIDAY = dt.date(2026, 11, 20)
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def day(text):
    return dt.date.fromisoformat(text)


def test_no_lead_time_makes_any_day_possible():
    lines = [LineLeadTime("Salt", 0), LineLeadTime("Pepper", None)]
    check = lead_times.check_delivery(FRIDAY, FRIDAY, lines, MONDAY_TO_FRIDAY)
    assert not check.too_early and check.late_lines == ()
    assert check.earliest_day == FRIDAY


def test_no_day_asked_for_is_nothing_to_check():
    assert lead_times.check_delivery(FRIDAY, None, [LineLeadTime("Beef", 2)], MONDAY_TO_FRIDAY) is None


def test_the_weekend_is_not_counted():
    assert lead_times.add_working_days(FRIDAY, 1, MONDAY_TO_FRIDAY) == day("2026-11-23")  # Monday
    assert lead_times.add_working_days(FRIDAY, 2, MONDAY_TO_FRIDAY) == day("2026-11-24")  # Tuesday
    assert lead_times.add_working_days(day("2026-11-21"), 1, MONDAY_TO_FRIDAY) == day("2026-11-23"), \
        "ordered on a Saturday: Monday is the first working day"
    assert lead_times.add_working_days(FRIDAY, 0, MONDAY_TO_FRIDAY) == FRIDAY


def test_an_order_on_friday_for_monday_is_too_early_for_two_days_of_lead_time():
    check = lead_times.check_delivery(FRIDAY, day("2026-11-23"), [LineLeadTime("Beef", 2)], MONDAY_TO_FRIDAY)
    assert check.too_early
    assert check.earliest_day == day("2026-11-24")
    assert [line.label for line in check.late_lines] == ["Beef"]
    on_time = lead_times.check_delivery(FRIDAY, day("2026-11-24"), [LineLeadTime("Beef", 2)], MONDAY_TO_FRIDAY)
    assert not on_time.too_early and on_time.earliest_day == day("2026-11-24")


def test_the_slowest_line_decides_and_only_the_late_lines_are_named_slowest_first():
    lines = [LineLeadTime("Potatoes", 1), LineLeadTime("Beef", 3), LineLeadTime("Cheese", 2),
             LineLeadTime("Salt", 0)]
    check = lead_times.check_delivery(FRIDAY, day("2026-11-23"), lines, MONDAY_TO_FRIDAY)
    assert check.earliest_day == day("2026-11-25"), "Beef: Monday, Tuesday, Wednesday"
    assert [line.label for line in check.late_lines] == ["Beef", "Cheese"]
    assert (check.ordered_day, check.requested_day) == (FRIDAY, day("2026-11-23"))


def test_holidays_are_not_working_days():
    with_holiday = lead_times.weekdays_and_holidays(range(5), {day("2026-11-23")})
    assert lead_times.add_working_days(FRIDAY, 1, with_holiday) == day("2026-11-24")
    check = lead_times.check_delivery(FRIDAY, day("2026-11-24"), [LineLeadTime("Beef", 2)], with_holiday)
    assert check.too_early and check.earliest_day == day("2026-11-25")


def test_a_six_day_week_counts_saturday():
    assert lead_times.add_working_days(FRIDAY, 1, lead_times.weekdays_and_holidays(range(6))) == day("2026-11-21")


def test_a_calendar_without_working_days_is_said_to_be_one():
    with pytest.raises(ValueError, match="no working day in the 3660 days after 2026-11-20"):
        lead_times.add_working_days(FRIDAY, 1, lead_times.weekdays_and_holidays(()))


def test_a_negative_lead_time_is_refused():
    with pytest.raises(ValueError, match="cannot be negative, got -1"):
        lead_times.add_working_days(FRIDAY, -1, MONDAY_TO_FRIDAY)


def test_a_date_without_a_time_is_the_restaurant_s_local_day():
    """"The 24th" stored as Brussels' midnight (23:00 UTC on the 23rd) is the 24th again."""
    asked = parse_datetime("2026-11-24")
    stored = naive_utc(asked, BRUSSELS)
    assert stored == dt.datetime(2026, 11, 23, 23, 0)
    assert lead_times.local_day(stored, BRUSSELS) == day("2026-11-24")
    assert stored.date() == day("2026-11-23"), "read in UTC it would be a day early"


def test_an_exact_moment_is_read_in_the_restaurant_s_time_zone(server_in_kiribati):
    late_evening = parse_datetime("2026-11-20T23:30:00Z")  # Saturday 00:30 in Brussels
    assert lead_times.local_day(late_evening, BRUSSELS) == day("2026-11-21")
    assert lead_times.local_day(naive_utc(late_evening), BRUSSELS) == day("2026-11-21")
    assert lead_times.local_day(day("2026-11-20"), BRUSSELS) == day("2026-11-20")


def test_a_one_day_lead_time_counts_the_next_working_day():
    check = lead_times.check_delivery(FRIDAY, FRIDAY, [LineLeadTime("Bread", 1)], MONDAY_TO_FRIDAY)
    assert check.too_early and check.earliest_day == day("2026-11-23")
    assert [line.label for line in check.late_lines] == ["Bread"]


def test_lines_without_a_lead_time_do_not_hide_the_lines_after_them():
    lines = [LineLeadTime("Salt", 0), LineLeadTime("Pepper", None), LineLeadTime("Beef", 2)]
    check = lead_times.check_delivery(FRIDAY, day("2026-11-23"), lines, MONDAY_TO_FRIDAY)
    assert check.earliest_day == day("2026-11-24")
    assert [line.label for line in check.late_lines] == ["Beef"]


def test_lines_without_a_lead_time_make_even_a_day_before_the_order():
    """A day asked for before the order was placed is late for a line with a lead time only."""
    thursday = day("2026-11-19")
    lines = [LineLeadTime("Salt", 0), LineLeadTime("Pepper", None), LineLeadTime("Sugar", -1)]
    check = lead_times.check_delivery(FRIDAY, thursday, lines, MONDAY_TO_FRIDAY)
    assert not check.too_early and check.earliest_day == FRIDAY


def test_a_working_day_found_on_the_last_day_searched_still_counts():
    last = FRIDAY + dt.timedelta(days=lead_times.MAX_SEARCH_DAYS)
    assert lead_times.add_working_days(FRIDAY, 1, lambda candidate: candidate == last) == last
    with pytest.raises(ValueError, match="after 2026-11-20: check the company's working hours and holidays$"):
        lead_times.add_working_days(FRIDAY, 1, lambda candidate: candidate == last + dt.timedelta(days=1))
