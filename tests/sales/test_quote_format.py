import datetime

from django.template import Context, Template

from promisekeeper.promising.templatetags.quote_format import (
    day,
    day_month,
    iso_date,
    percent,
    whole,
)


def test_dates_read_as_day_month_year_and_nothing_for_no_date():
    assert day(datetime.date(2027, 3, 1)) == "1 Mar 2027"
    assert day_month(datetime.date(2027, 12, 24)) == "24 Dec"
    assert day(None) == "" and day_month(None) == ""


def test_numbers_round_to_whole_ones():
    assert whole(12.5) == "12" and whole(13.5) == "14" and whole(0.0) == "0"
    assert percent(0.754) == "75" and percent(1.0) == "100"
    assert whole(None) == "" and percent(None) == ""


def test_a_missing_value_falls_back_to_the_templates_default():
    template = Template('{% load quote_format %}{{ d|day|default:"beyond horizon" }}')
    assert template.render(Context({"d": None})) == "beyond horizon"
    assert template.render(Context({"d": datetime.date(2027, 1, 4)})) == "4 Jan 2027"


def test_a_date_inputs_value_is_iso_for_a_date_and_as_typed_otherwise():
    assert iso_date(datetime.date(2027, 3, 1)) == "2027-03-01"
    assert iso_date("2027-3-1x") == "2027-3-1x" and iso_date(None) == ""
