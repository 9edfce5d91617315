from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apicbase import content as ct
from apicbase.errors import ContentError, PayloadError

D = Decimal
UNIT_LIST = "mg, g, kg, tonne, oz, lb, ml, cl, dl, l, cubic_centimeter, cubic_decimeter, fl oz, gal, piece"

# Real, independently known codes (check digits not computed by the module under test).
EAN13 = "4006381333931"
EAN8 = "96385074"
UPC12 = "036000291452"
GTIN14 = "10614141000415"
COLA_24 = {"quantity": 4, "package": {"quantity": 6, "package": {"quantity": 33, "unit_name": "cl"}}}


def problems_of(function, *args, **kwargs):
    with pytest.raises(ContentError) as info:
        function(*args, **kwargs)
    return info.value.problems


def parse_problems(description):
    return problems_of(ct.parse_description, description)


# --- reading what Apicbase returns ----------------------------------------------

def test_one_kg_as_apicbase_returns_it():
    c = ct.parse_description({"quantity": 1.0, "unit_name": "kg"})
    assert c == ct.Content(levels=(), quantity=D(1), unit="kg")
    assert (c.dimension, c.base_unit, c.unit_count, c.total, c.label) == ("mass", "g", D(1), D(1000), "1 kg")


def test_three_times_one_kg():
    c = ct.parse_description({"quantity": 3.0, "package": {"quantity": 1.0, "unit_name": "kg"}})
    assert c.levels == (ct.Level(D(3)),) and c.quantity == D(1) and c.unit == "kg"
    assert (c.unit_count, c.total, c.label) == (D(3), D(3000), "3 × 1 kg")
    assert ct.to_description(c) == {"quantity": 3, "package": {"quantity": 1, "unit_name": "kg"}}


def test_four_times_six_times_33_cl():
    c = ct.parse_description(COLA_24)
    assert c.levels == (ct.Level(D(4)), ct.Level(D(6))) and (c.quantity, c.unit) == (D(33), "cl")
    assert c.unit_count == D(24)
    assert c.total == D(7920) and c.base_unit == "ml" and c.dimension == "volume"
    assert c.label == "4 × 6 × 33 cl"
    sent = ct.to_description(c)
    assert sent == {"quantity": 4, "package": {"quantity": 6,
                                               "package": {"quantity": 330, "unit_name": "cubic_centimeter"}}}
    back = ct.parse_description(sent)
    assert (back.total, back.unit_count, back.label) == (D(7920), D(24), "4 × 6 × 330 cubic_centimeter")


def test_ten_times_100_g():
    c = ct.parse_label("10 x 100 g")
    assert (c.unit_count, c.total, c.label) == (D(10), D(1000), "10 × 100 g")
    assert ct.to_description(c) == {"quantity": 10, "package": {"quantity": 100, "unit_name": "g"}}
    assert ct.parse_description(ct.to_description(c)) == c


def test_twelve_bottles_of_one_and_a_half_litre_as_in_the_developer_hub():
    # The hub's own example has a decimal innermost quantity: we read it...
    c = ct.parse_description({"quantity": 12, "package": {"quantity": 1.5, "unit_name": "l"}})
    assert (c.quantity, c.unit, c.unit_count, c.total, c.label) == (D("1.5"), "l", D(12), D(18000), "12 × 1.5 l")
    # ...but send an integer one, in a smaller accepted unit.
    sent = ct.to_description(c)
    assert sent == {"quantity": 12, "package": {"quantity": 1500, "unit_name": "cubic_centimeter"}}
    assert isinstance(sent["package"]["quantity"], int)
    assert ct.parse_description(sent).total == D(18000)


def test_per_kg_meat_whole_piece_of_about_two_and_a_half_kg():
    # A variable-weight piece priced per kg: an outer decimal quantity of 1 kg units.
    c = ct.parse_description({"quantity": "2.5", "package": {"quantity": 1, "unit_name": "kg"}})
    assert (c.unit_count, c.total, c.label) == (D("2.5"), D(2500), "2.5 × 1 kg")
    sent = ct.to_description(c)
    assert sent == {"quantity": D("2.5"), "package": {"quantity": 1, "unit_name": "kg"}}
    assert isinstance(sent["quantity"], Decimal)
    assert ct.parse_description(sent) == c


def test_pieces():
    c = ct.parse_label("6 piece")
    assert (c.dimension, c.base_unit, c.total, c.label) == ("piece", "piece", D(6), "6 piece")
    assert ct.to_description(ct.content([4], 6, "piece")) == {"quantity": 4, "package": {"quantity": 6,
                                                                                          "unit_name": "piece"}}


def test_label_normalizes_quantities():
    assert ct.content(["2.50", D("3.0")], D("1.50"), "l").label == "2.5 × 3 × 1.5 l"
    assert ct.content([], D("1E+2"), "g").label == "100 g"


def test_parse_accepts_decimal_string_and_float_numbers_exactly():
    c = ct.parse_description({"quantity": D("2.000"), "package": {"quantity": 0.1, "unit_name": "kg"}})
    assert c.quantity == D("0.1") and str(c.quantity) == "0.1"  # str(float), not the binary expansion
    assert c.levels[0].quantity == D(2)


def test_parse_reads_null_keys_and_is_lenient_on_unit_case():
    c = ct.parse_description({"quantity": 6, "package": {"quantity": 33, "unit_name": " CL ", "package": None},
                              "unit_name": None, "gtin": None})
    assert c == ct.Content(levels=(ct.Level(D(6)),), quantity=D(33), unit="cl")


def test_parse_uses_the_callers_path():
    problems = problems_of(ct.parse_description, {"quantity": 0, "unit_name": "g"}, path="results[2].package")
    assert problems == [("results[2].package.quantity", "must be positive, got 0")]


# --- GTINs ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", [EAN13, EAN8, UPC12, GTIN14, "00000000"])
def test_valid_gtins(code):
    assert ct.gtin_is_valid(code)


@pytest.mark.parametrize("code", [
    "4006381333932",   # wrong check digit
    "96385075",        # wrong check digit
    "036000291453",    # wrong check digit
    "10614141000416",  # wrong check digit
    "40063813339",     # 11 digits
    "400638133393100",  # 15 digits
    "4006381333-31",   # not digits only
    "",
    "٤٠٠٦٣٨١٣٣٣٩٣١",  # Arabic-Indic digits: isdigit() but not a GTIN
    4006381333931,     # not a string
    None,
])
def test_invalid_gtins(code):
    assert not ct.gtin_is_valid(code)


def test_gtins_at_several_levels_are_read_and_sent_back():
    description = {"quantity": 4, "gtin": GTIN14,
                   "package": {"quantity": 6, "gtin": EAN13,
                               "package": {"quantity": 330, "unit_name": "cubic_centimeter", "gtin": EAN8}}}
    c = ct.parse_description(description)
    assert [level.gtin for level in c.levels] == [GTIN14, EAN13] and c.gtin == EAN8
    assert ct.to_description(c) == description


def test_gtin_only_at_the_innermost_level_is_the_only_one_sent():
    c = ct.content([12], "1.5", "l", gtins=[None, UPC12])
    assert ct.to_description(c) == {"quantity": 12, "package": {"quantity": 1500, "unit_name": "cubic_centimeter",
                                                                "gtin": UPC12}}


def test_blank_gtin_is_absent():
    assert ct.parse_description({"quantity": 1, "unit_name": "kg", "gtin": "  "}).gtin is None
    assert ct.content([2], 1, "kg", gtins=["", " "]).levels[0].gtin is None


def test_gtin_with_wrong_check_digit():
    assert parse_problems({"quantity": 1, "unit_name": "kg", "gtin": "4006381333932"}) == [
        ("package_description.gtin", "'4006381333932' has check digit 2, expected 1")]


def test_gtin_with_wrong_length():
    assert parse_problems({"quantity": 2, "gtin": "12345", "package": {"quantity": 1, "unit_name": "kg"}}) == [
        ("package_description.gtin", "'12345' has 5 digits, a GTIN has 8, 12, 13 or 14")]


def test_gtin_with_non_digits():
    assert parse_problems({"quantity": 1, "unit_name": "kg", "gtin": "40063813339AB"}) == [
        ("package_description.gtin", "'40063813339AB' must contain digits only")]


def test_gtin_that_is_not_a_string():
    assert parse_problems({"quantity": 1, "unit_name": "kg", "gtin": 4006381333931}) == [
        ("package_description.gtin", "must be a string of digits, got int")]


# --- every error of parse_description, one at a time -------------------------------------

def test_description_not_an_object():
    assert parse_problems([1, "kg"]) == [("package_description", "must be an object")]


def test_nested_package_not_an_object():
    assert parse_problems({"quantity": 4, "package": "6 x 33 cl"}) == [
        ("package_description.package", "must be an object")]


def test_missing_quantity():
    assert parse_problems({"quantity": 4, "package": {"unit_name": "kg"}}) == [
        ("package_description.package.quantity", "is required")]


def test_non_numeric_quantity():
    assert parse_problems({"quantity": "four", "package": {"quantity": 1, "unit_name": "kg"}}) == [
        ("package_description.quantity", "'four' is not a number")]


@pytest.mark.parametrize("value, message", [
    (True, "must be a number, got bool"),
    ([4], "must be a number, got list"),
    ({"value": 4}, "must be a number, got dict"),
])
def test_quantity_of_the_wrong_type(value, message):
    assert parse_problems({"quantity": value, "unit_name": "g"}) == [("package_description.quantity", message)]


@pytest.mark.parametrize("value, shown", [
    ("NaN", "NaN"), (float("nan"), "NaN"), ("Infinity", "Infinity"), (float("-inf"), "-Infinity"),
])
def test_non_finite_quantity(value, shown):
    assert parse_problems({"quantity": value, "unit_name": "g"}) == [
        ("package_description.quantity", f"{shown} is not a finite number")]


def test_zero_quantity():
    assert parse_problems({"quantity": 0, "package": {"quantity": 1, "unit_name": "kg"}}) == [
        ("package_description.quantity", "must be positive, got 0")]


def test_negative_quantity():
    assert parse_problems({"quantity": 2, "package": {"quantity": "-0.50", "unit_name": "kg"}}) == [
        ("package_description.package.quantity", "must be positive, got -0.5")]


def test_outer_quantity_with_more_than_six_decimals():
    assert parse_problems({"quantity": "1.1234567", "package": {"quantity": 1, "unit_name": "kg"}}) == [
        ("package_description.quantity", "must have at most 6 decimals, got 1.1234567")]


def test_six_outer_decimals_and_trailing_zeros_are_fine():
    c = ct.parse_description({"quantity": "1.123456000", "package": {"quantity": "0.1234567", "unit_name": "kg"}})
    # The innermost quantity may have any number of decimals on reading (Apicbase's own answers do).
    assert c.levels[0].quantity == D("1.123456") and c.quantity == D("0.1234567")


def test_unknown_unit_is_named():
    assert parse_problems({"quantity": 6, "package": {"quantity": 1, "unit_name": "bottle"}}) == [
        ("package_description.package.unit_name", f"unknown unit 'bottle', expected one of: {UNIT_LIST}")]


def test_unit_name_that_is_not_a_string():
    assert parse_problems({"quantity": 1, "unit_name": 3}) == [
        ("package_description.unit_name", "must be a string, got int")]


def test_both_package_and_unit_name():
    assert parse_problems({"quantity": 4, "unit_name": "kg", "package": {"quantity": 1, "unit_name": "kg"}}) == [
        ("package_description", "has both package and unit_name, a level has exactly one of them")]


def test_neither_package_nor_unit_name():
    assert parse_problems({"quantity": 4, "package": {"quantity": 1}}) == [
        ("package_description.package", "has neither package nor unit_name, a level has exactly one of them")]


def nested(depth, inner=None):
    description = inner or {"quantity": 1, "unit_name": "g"}
    for _ in range(depth - 1):
        description = {"quantity": 2, "package": description}
    return description


def test_five_levels_are_allowed():
    c = ct.parse_description(nested(5))
    assert len(c.levels) == 4 and c.unit_count == D(16) and c.label == "2 × 2 × 2 × 2 × 1 g"


def test_nesting_deeper_than_max_depth():
    assert parse_problems(nested(6)) == [
        ("package_description.package.package.package.package.package", "is nested deeper than 5 levels")]


def test_every_problem_is_reported_at_once():
    description = {"quantity": "abc", "gtin": EAN13[:-1] + "2",
                   "package": {"quantity": 0,
                               "package": {"quantity": -1, "unit_name": "bottle", "gtin": "123"}}}
    problems = parse_problems(description)
    assert problems == [
        ("package_description.quantity", "'abc' is not a number"),
        ("package_description.gtin", "'4006381333932' has check digit 2, expected 1"),
        ("package_description.package.quantity", "must be positive, got 0"),
        ("package_description.package.package.quantity", "must be positive, got -1"),
        ("package_description.package.package.unit_name", f"unknown unit 'bottle', expected one of: {UNIT_LIST}"),
        ("package_description.package.package.gtin", "'123' has 3 digits, a GTIN has 8, 12, 13 or 14"),
    ]


def test_content_error_is_a_payload_error_with_a_field_list():
    with pytest.raises(PayloadError) as info:
        ct.parse_description({"quantity": 0, "unit_name": "g"})
    assert isinstance(info.value, ContentError)
    assert info.value.as_list() == [{"field": "package_description.quantity", "error": "must be positive, got 0"}]
    assert str(info.value) == "package_description.quantity: must be positive, got 0"


# --- sending --------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, unit, sent", [
    ("0.25", "kg", (250, "g")),
    ("0.5", "g", (500, "mg")),
    ("1.5", "l", (1500, "cubic_centimeter")),
    ("0.75", "cubic_decimeter", (750, "cubic_centimeter")),
    ("0.5", "tonne", (500, "kg")),
    ("0.5", "lb", (8, "oz")),          # imperial stays imperial: 16 oz to the pound
    ("1.5", "gal", (192, "fl oz")),    # 128 fl oz to the gallon
    ("33", "cl", (330, "cubic_centimeter")),
    ("2.5", "dl", (250, "cubic_centimeter")),
    ("500", "ml", (500, "cubic_centimeter")),
    ("1", "cubic_centimeter", (1, "cubic_centimeter")),
])
def test_innermost_quantity_is_sent_whole_in_an_accepted_unit(quantity, unit, sent):
    description = ct.to_description(ct.content([], quantity, unit))
    assert (description["quantity"], description["unit_name"]) == sent
    assert isinstance(description["quantity"], int) and description["unit_name"] in ct.APICBASE_UNITS


def test_innermost_quantity_that_cannot_be_made_whole():
    assert problems_of(ct.to_description, ct.content([3], "0.3333", "g")) == [
        ("package_description.package.quantity",
         "0.3333 g cannot be sent as a whole number of any unit Apicbase accepts "
         "(Apicbase wants an integer innermost quantity)")]


def test_fraction_of_a_piece_cannot_be_sent():
    assert problems_of(ct.to_description, ct.content([], "1.5", "piece")) == [
        ("package_description.quantity",
         "1.5 piece cannot be sent as a whole number of any unit Apicbase accepts "
         "(Apicbase wants an integer innermost quantity)")]
    assert ct.sending_problems(ct.content([], "1.5", "piece"))[0][0] == "package_description.quantity"
    assert ct.sending_problems(ct.content([], "1.5", "kg")) == []


def test_to_description_validates_and_reports_every_problem():
    bad = ct.Content(levels=(ct.Level(D("0.0000001")), ct.Level(D(0), gtin="1")), quantity=D(1), unit="bottle")
    assert problems_of(ct.to_description, bad) == [
        ("package_description.quantity", "must have at most 6 decimals, got 0.0000001"),
        ("package_description.package.quantity", "must be positive, got 0"),
        ("package_description.package.gtin", "'1' has 1 digits, a GTIN has 8, 12, 13 or 14"),
        ("package_description.package.package.unit_name", f"unknown unit 'bottle', expected one of: {UNIT_LIST}"),
    ]


def test_custom_unit_map_is_used_and_its_targets_count_as_accepted():
    # An admin who learnt that Apicbase takes cl sends it as such.
    unit_map = {**ct.DEFAULT_UNIT_MAP, "cl": ("cl", 1)}
    assert ct.to_description(ct.content([6], 33, "cl"), unit_map) == {
        "quantity": 6, "package": {"quantity": 33, "unit_name": "cl"}}
    # 1.5 cl is not whole in cl, but is in cubic_centimeter.
    assert ct.to_description(ct.content([], "1.5", "cl"), unit_map) == {"quantity": 15, "unit_name": "cubic_centimeter"}
    # cl -> l gives 0.33 l, which then becomes whole in a smaller accepted unit.
    assert ct.to_description(ct.content([], 33, "cl"), {"cl": ("l", D("0.01"))}) == {
        "quantity": 330, "unit_name": "cubic_centimeter"}


def test_unit_without_mapping():
    assert problems_of(ct.to_description, ct.content([], 2, "dl"), {"cl": ("cubic_centimeter", 10)}) == [
        ("package_description.unit_name", "dl is not a unit Apicbase accepts and the unit map does not translate it")]


def test_wrong_factor_in_the_unit_map_is_refused_instead_of_changing_totals():
    assert problems_of(ct.to_description, ct.content([], 33, "cl"), {"cl": ("cubic_centimeter", 100)}) == [
        ("unit_map.cl", "factor 100 is wrong: 1 cl is 10 cubic_centimeter")]


def test_validate_unit_map():
    assert ct.validate_unit_map(ct.DEFAULT_UNIT_MAP) == []
    assert ct.validate_unit_map({"cl": ("g", 10), "dl": ("litre", 1), "ml": ("l", "0.001"), "x": ("g", 1)}) == [
        ("unit_map.cl", "cannot send cl (volume) as g (mass)"),
        ("unit_map.dl", f"unknown unit 'litre', expected one of: {UNIT_LIST}"),
        ("unit_map.x", f"unknown unit 'x', expected one of: {UNIT_LIST}"),
    ]


# --- content() and validate() -------------------------------------------------------------

def test_content_constructor_converts_plain_numbers():
    c = ct.content([4, "6"], 33.0, "CL", gtins=[GTIN14, None, EAN8])
    assert c == ct.Content(levels=(ct.Level(D(4), GTIN14), ct.Level(D(6))), quantity=D(33), unit="cl", gtin=EAN8)
    assert all(isinstance(level.quantity, Decimal) for level in c.levels) and isinstance(c.quantity, Decimal)


def test_content_constructor_reports_every_problem():
    assert problems_of(ct.content, [0, "x"], None, "kg", gtins=[None, None]) == [
        ("gtins", "expects 3 entries (one per level, outermost first), got 2"),
        ("package_description.package.quantity", "'x' is not a number"),
        ("package_description.package.package.quantity", "is required"),
        ("package_description.quantity", "must be positive, got 0"),
    ]


def test_validate_returns_problems_without_raising():
    fine = ct.content([4, 6], 33, "cl")
    assert ct.validate(fine) == []
    too_deep = ct.Content(levels=tuple(ct.Level(D(2)) for _ in range(5)), quantity=D(1), unit="g")
    assert ct.validate(too_deep) == [
        ("package_description.package.package.package.package.package", "is nested deeper than 5 levels")]
    assert ct.validate(ct.Content(levels=(), quantity=1.5, unit="g")) == [
        ("package_description.quantity", "must be a Decimal, got float")]
    assert ct.validate("1 kg") == [("package_description", "must be a Content, got str")]


def test_content_built_by_hand_with_ints_is_sent_like_decimals():
    c = ct.Content(levels=(ct.Level(2),), quantity=500, unit="ml")
    assert (c.total, c.unit_count, c.label) == (D(1000), D(2), "2 × 500 ml")
    assert ct.to_description(c) == {"quantity": 2, "package": {"quantity": 500, "unit_name": "cubic_centimeter"}}
    assert ct.validate(ct.Content(levels=[ct.Level(D(2))], quantity=D(1), unit="g")) == [
        ("package_description", "levels must be a tuple of Level, got list")]


def test_unknown_unit_properties_raise_content_error():
    c = ct.Content(levels=(), quantity=D(1), unit="bottle")
    assert c.label == "1 bottle"
    with pytest.raises(ContentError) as info:
        _total = c.total
    assert info.value.problems == [("unit", f"unknown unit 'bottle', expected one of: {UNIT_LIST}")]


# --- labels -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, levels, quantity, unit", [
    ("4 x 6 x 33 cl", [4, 6], "33", "cl"),
    ("4×6×33cl", [4, 6], "33", "cl"),
    ("4 X 6 * 33 CL", [4, 6], "33", "cl"),
    ("10 x 100 g", [10], "100", "g"),
    ("1 kg", [], "1", "kg"),
    ("1,5 l", [], "1.5", "l"),
    ("12 x 1.5 l", [12], "1.5", "l"),
    ("6 piece", [], "6", "piece"),
    ("6 pcs", [], "6", "piece"),
    ("  24 x 12 fl oz ", [24], "12", "fl oz"),
    ("2,5 x 1 kg", ["2.5"], "1", "kg"),
])
def test_parse_label(text, levels, quantity, unit):
    assert ct.parse_label(text) == ct.Content(levels=tuple(ct.Level(D(str(q))) for q in levels),
                                              quantity=D(quantity), unit=unit)


@pytest.mark.parametrize("text", ["", "   ", "abc", "kg", "33", "x 33 cl", "4 x x 33 cl", "4 x y x 33 cl",
                                  "-1 kg", "1.000,5 kg", "4 x 6 x", "4 x", "1 kg x 4",
                                  "6 x 33 cl!", "1e3 g"])
def test_parse_label_rejects_junk(text):
    assert problems_of(ct.parse_label, text) == [
        ("label", f"{text!r} is not a package content such as '4 x 6 x 33 cl' or '1 kg'")]


def test_parse_label_names_an_unknown_unit():
    assert problems_of(ct.parse_label, "6 x 75 bottles") == [
        ("label", f"unknown unit 'bottles', expected one of: {UNIT_LIST}")]
    assert problems_of(ct.parse_label, "2 Liter") == [("label", f"unknown unit 'Liter', expected one of: {UNIT_LIST}")]


def test_parse_label_validates_quantities():
    assert problems_of(ct.parse_label, "0 x 1 kg") == [("package_description.quantity", "must be positive, got 0")]
    assert problems_of(ct.parse_label, 42) == [("label", "must be a string, got int")]


# --- convert ----------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, from_unit, to_unit, expected", [
    (33, "cl", "l", "0.33"),
    ("1.5", "l", "cubic_centimeter", "1500"),
    (1, "lb", "oz", "16"),
    (1, "gal", "fl oz", "128"),
    (1, "oz", "g", "28.349523125"),
    (2500, "g", "kg", "2.5"),
    (1, "tonne", "mg", "1000000000"),
    (3, "piece", "piece", "3"),
])
def test_convert(quantity, from_unit, to_unit, expected):
    result = ct.convert(quantity, from_unit, to_unit)
    assert result == D(expected) and str(result) == expected


def test_convert_non_terminating_is_rounded_to_28_digits():
    assert ct.convert(1, "g", "oz") == D("0.03527396194958041291567580822")


def test_convert_across_dimensions_is_refused():
    assert problems_of(ct.convert, 1, "kg", "l") == [("to_unit", "cannot convert kg (mass) to l (volume)")]
    assert problems_of(ct.convert, 1, "piece", "g") == [("to_unit", "cannot convert piece (piece) to g (mass)")]


def test_convert_unknown_units_and_bad_quantity():
    assert problems_of(ct.convert, "abc", "stone", "g") == [
        ("quantity", "'abc' is not a number"),
        ("from_unit", f"unknown unit 'stone', expected one of: {UNIT_LIST}"),
    ]


def test_unit_tables_are_consistent():
    assert ct.APICBASE_UNITS <= set(ct.UNITS)
    assert not {"ml", "cl", "dl"} & ct.APICBASE_UNITS
    assert all(target in ct.APICBASE_UNITS for target, _ in ct.DEFAULT_UNIT_MAP.values())
    assert all(isinstance(factor, Decimal) for _, factor in ct.UNITS.values())
    assert ct.UNITS["fl oz"] == ("volume", D("29.5735295625")) and ct.UNITS["lb"] == ("mass", D("453.59237"))


# --- properties ---------------------------------------------------------------------------

def _independent_check_digit(body):
    # Written differently from the module: the full code's weighted sum is a multiple of 10.
    for digit in range(10):
        code = body + str(digit)
        weights = [3 if (len(code) - i) % 2 == 0 else 1 for i in range(len(code))]
        if sum(int(c) * w for c, w in zip(code, weights, strict=True)) % 10 == 0:
            return code
    raise AssertionError("no check digit")


gtins = st.one_of(
    st.none(),
    st.sampled_from([7, 11, 12, 13]).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)).map(_independent_check_digit),
)
outer_quantities = st.one_of(
    st.integers(min_value=1, max_value=500).map(D),
    st.decimals(min_value=D("0.000001"), max_value=D("500"), places=6, allow_nan=False, allow_infinity=False),
)
levels = st.lists(st.builds(ct.Level, outer_quantities, gtins), max_size=ct.MAX_DEPTH - 1).map(tuple)


@st.composite
def apicbase_contents(draw):
    return ct.Content(levels=draw(levels), quantity=D(draw(st.integers(min_value=1, max_value=100000))),
                      unit=draw(st.sampled_from(sorted(ct.APICBASE_UNITS))), gtin=draw(gtins))


@st.composite
def any_contents(draw):
    quantity = draw(st.one_of(
        st.integers(min_value=1, max_value=100000).map(D),
        *(st.decimals(min_value=D("0.001"), max_value=D("100000"), places=places,
                      allow_nan=False, allow_infinity=False) for places in (1, 2, 3)),
    ))
    return ct.Content(levels=draw(levels), quantity=quantity, unit=draw(st.sampled_from(sorted(ct.UNITS))),
                      gtin=draw(gtins))


def test_generated_gtins_agree_with_known_codes():
    for code in (EAN13, EAN8, UPC12, GTIN14):
        assert _independent_check_digit(code[:-1]) == code


@settings(max_examples=300)
@given(apicbase_contents())
def test_round_trip_of_apicbase_units(c):
    assert ct.validate(c) == []
    assert ct.parse_description(ct.to_description(c)) == c


@settings(max_examples=300)
@given(any_contents())
def test_sending_preserves_totals_or_says_why_not(c):
    try:
        sent = ct.to_description(c)
    except ContentError as error:
        # Only refused when no accepted unit of that dimension makes the quantity whole.
        ((path, message),) = error.problems
        assert path.endswith(".quantity") and "cannot be sent as a whole number" in message
        smallest = {"mass": "mg", "volume": "cubic_centimeter", "piece": "piece"}[c.dimension]
        in_smallest = ct.convert(c.quantity, c.unit, smallest)
        assert in_smallest != in_smallest.to_integral_value()
        return
    back = ct.parse_description(sent)
    assert back.unit in ct.APICBASE_UNITS
    assert (back.total, back.unit_count, back.dimension) == (c.total, c.unit_count, c.dimension)
    assert back.levels == c.levels and back.gtin == c.gtin


@settings(max_examples=200)
@given(apicbase_contents())
def test_label_round_trip(c):
    plain = ct.Content(levels=tuple(ct.Level(level.quantity) for level in c.levels), quantity=c.quantity, unit=c.unit)
    assert ct.parse_label(plain.label) == plain


def test_unit_map_from_text_derives_exact_factors():
    assert ct.unit_map_from_text("cl=cubic_centimeter, dl = cubic_centimeter") == {
        "cl": ("cubic_centimeter", Decimal("10")), "dl": ("cubic_centimeter", Decimal("100"))}
    assert ct.unit_map_from_text("  ") == ct.DEFAULT_UNIT_MAP
    to_litre = ct.unit_map_from_text("cl=l")
    assert ct.to_description(ct.parse_label("6 x 100 cl"), unit_map=to_litre) == {
        "quantity": 6, "package": {"quantity": 1, "unit_name": "l"}}
    # 0.33 l is not whole: the smaller accepted unit keeps the quantity an integer.
    assert ct.to_description(ct.parse_label("6 x 33 cl"), unit_map=to_litre) == {
        "quantity": 6, "package": {"quantity": 330, "unit_name": "cubic_centimeter"}}


def test_unit_map_from_text_reports_each_defect():
    with pytest.raises(ContentError) as info:
        ct.unit_map_from_text("cl=kg, furlong=l, ml")
    paths = [path for path, _message in info.value.problems]
    assert paths == ["unit_map.cl", "unit_map.furlong", "unit_map[2]"]
    assert "cannot be sent as kg" in info.value.problems[0][1]


# --- exactness and the edges tools/mutation found unchecked -------------------------------------

def test_totals_of_long_decimals_are_exact_not_rounded_to_28_digits():
    quantities = ("123.456789", "987.654321", "555.555555", "111.111111")
    c = ct.Content(levels=tuple(ct.Level(D(q)) for q in quantities), quantity=D("0.123456789"), unit="oz")
    expected_count = Fraction(1)
    for q in quantities:
        expected_count *= Fraction(q)
    assert Fraction(c.unit_count) == expected_count
    assert Fraction(c.total) == expected_count * Fraction("0.123456789") * Fraction("28.349523125")


def test_a_terminating_conversion_keeps_every_digit():
    assert str(ct.convert("1.234567890123456789012345678901", "g", "kg")) == "0.001234567890123456789012345678901"
    assert str(ct.convert("1.234567890123456789012345678901", "g", "mg")) == "1234.567890123456789012345678901"


def test_whole_numbers_never_read_in_exponent_notation():
    assert str(ct.content([], "1E+1", "g").quantity) == "10"
    assert str(ct.content(["2.50"], "1.50", "l").quantity) == "1.5"
    assert str(ct.content(["2.50"], "1.50", "l").levels[0].quantity) == "2.5"


def test_whole_outer_quantities_are_sent_as_integers():
    sent = ct.to_description(ct.Content(levels=(ct.Level(D("4.0")),), quantity=D(1), unit="kg"))
    assert sent == {"quantity": 4, "package": {"quantity": 1, "unit_name": "kg"}} and type(sent["quantity"]) is int


def test_convert_names_blank_and_non_finite_quantities_and_an_unknown_target():
    assert problems_of(ct.convert, "  ", "g", "kg") == [("quantity", "is required")]
    assert problems_of(ct.convert, "NaN", "g", "kg") == [("quantity", "NaN is not a finite number")]
    assert problems_of(ct.convert, 1, "g", "stone") == [
        ("to_unit", f"unknown unit 'stone', expected one of: {UNIT_LIST}")]


def test_validate_names_levels_that_are_not_levels():
    assert ct.validate(ct.Content(levels=None, quantity=D(1), unit="g")) == [
        ("package_description", "levels must be a tuple of Level, got NoneType")]
    assert ct.validate(ct.Content(levels=(D(2), "x"), quantity=D(1), unit="g")) == [
        ("package_description", "must be a Level, got Decimal"),
        ("package_description.package", "must be a Level, got str")]


def test_validate_flags_the_sixth_outer_level_itself():
    six = ct.Content(levels=tuple(ct.Level(D(2)) for _ in range(6)), quantity=D(1), unit="g")
    assert ct.validate(six) == [
        ("package_description.package.package.package.package.package", "is nested deeper than 5 levels")]


def test_validate_reads_the_innermost_quantity_and_gtin():
    assert ct.validate(ct.Content(levels=(), quantity=D("0.1234567"), unit="kg")) == []  # any decimals inside
    assert ct.validate(ct.Content(levels=(), quantity=D(1), unit="kg", gtin="123")) == [
        ("package_description.gtin", "'123' has 3 digits, a GTIN has 8, 12, 13 or 14")]


def test_blank_package_and_unit_name_are_absent():
    assert ct.parse_description({"quantity": 2, "unit_name": "kg", "package": ""}) == ct.Content((), D(2), "kg")
    assert ct.parse_description({"quantity": 2, "unit_name": "", "package": {"quantity": 1, "unit_name": "g"}}) == \
        ct.Content((ct.Level(D(2)),), D(1), "g")


def test_gtins_are_read_without_surrounding_spaces():
    assert ct.parse_description({"quantity": 1, "unit_name": "kg", "gtin": f" {EAN13} "}).gtin == EAN13
    assert ct.content([2], 1, "kg", gtins=[f" {GTIN14} ", f" {EAN13} "]) == ct.Content(
        (ct.Level(D(2), GTIN14),), D(1), "kg", gtin=EAN13)


def test_content_takes_levels_as_level_objects_and_gives_them_their_gtin():
    given = ct.Level(D(2), EAN13)
    c = ct.content([ct.Level(D(4)), given], 1, "kg", gtins=[GTIN14, None, None])
    assert c.levels == (ct.Level(D(4), GTIN14), given)


def test_validate_unit_map_refuses_what_is_not_a_map_of_pairs():
    assert ct.validate_unit_map([("cl", ("cubic_centimeter", 10))]) == [
        ("unit_map", "must be a mapping of unit -> (unit, factor)")]
    assert ct.validate_unit_map({"cl": ("cubic_centimeter", 10, 1), "dl": "cubic_centimeter",
                                 "ml": ("cubic_centimeter", "abc"), "l": ("cubic_centimeter", "NaN")}) == [
        ("unit_map.cl", "must be a pair (unit, factor)"),
        ("unit_map.dl", "must be a pair (unit, factor)"),
        ("unit_map.ml", "factor 'abc' is not a number"),
        ("unit_map.l", "factor NaN"),
    ]


def test_a_unit_the_admin_maps_to_counts_as_accepted_for_making_quantities_whole():
    assert ct.to_description(ct.content([], "0.1", "l"), {"cl": ("dl", "0.1")}) == {"quantity": 1, "unit_name": "dl"}
    # A wrong entry is no such promise.
    assert ct.to_description(ct.content([], "0.1", "l"), {"cl": ("dl", "0.2")}) == {
        "quantity": 100, "unit_name": "cubic_centimeter"}


def test_a_quantity_made_whole_stays_in_its_own_system_first():
    # 45.359237 kg is 100 lb and 45359237 mg: a metric content stays metric...
    assert ct.to_description(ct.content([], "45.359237", "kg")) == {"quantity": 45359237, "unit_name": "mg"}
    # ...and an imperial one imperial: 1.5 gal is 192 fl oz, never cubic centimetres.
    assert ct.to_description(ct.content([], "1.5", "gal")) == {"quantity": 192, "unit_name": "fl oz"}


def test_sending_problems_are_validation_problems_first():
    zero = ct.Content((), D(0), "kg")
    assert ct.sending_problems(zero) == [("package_description.quantity", "must be positive, got 0")]
    assert ct.sending_problems(zero, path="item") == [("item.quantity", "must be positive, got 0")]
    assert ct.sending_problems(ct.content([], 2, "dl"), {"cl": ("cubic_centimeter", 10)}) == [
        ("package_description.unit_name", "dl is not a unit Apicbase accepts and the unit map does not translate it")]


def test_unit_map_from_text_reads_separators_and_skips_empty_entries():
    assert ct.unit_map_from_text(None) == ct.DEFAULT_UNIT_MAP
    assert ct.unit_map_from_text("cl=cubic_centimeter;; dl=cubic_centimeter,") == {
        "cl": ("cubic_centimeter", Decimal("10")), "dl": ("cubic_centimeter", Decimal("100"))}


@pytest.mark.parametrize("text, problem", [
    ("cl==l", ("unit_map.cl", f"unknown unit '=l', expected one of: {UNIT_LIST}")),
    ("=l", ("unit_map[0]", "'=l' is not written as unit=apicbase_unit")),
    ("cl=", ("unit_map[0]", "'cl=' is not written as unit=apicbase_unit")),
    ("ml, cl=l", ("unit_map[0]", "'ml' is not written as unit=apicbase_unit")),
    ("cl=litre", ("unit_map.cl", f"unknown unit 'litre', expected one of: {UNIT_LIST}")),
    ("furlong=l", ("unit_map.furlong", f"unknown unit 'furlong', expected one of: {UNIT_LIST}")),
    ("cl=kg", ("unit_map.cl", "cl (volume) cannot be sent as kg (mass)")),
    # A factor that cannot be exact (metric to imperial) is refused rather than rounding totals.
    ("g=oz", ("unit_map.g", "factor 0.03527396194958041291567580822 is wrong: "
                            "1 g is 0.03527396194958041291567580822 oz")),
])
def test_unit_map_from_text_names_each_defect(text, problem):
    assert problems_of(ct.unit_map_from_text, text) == [problem]


def test_unit_map_from_text_reports_the_text_s_defects_before_inexact_factors():
    assert problems_of(ct.unit_map_from_text, "cl=kg, g=oz") == [
        ("unit_map.cl", "cl (volume) cannot be sent as kg (mass)")]
