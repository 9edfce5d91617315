"""The assortment-file builder: what one Odoo product becomes in the JSON file Apicbase receives."""
import json
from decimal import Decimal

import pytest

from apicbase import assortment
from apicbase.errors import ContentError


def article(**changes):
    values = {"third_party_id": "COLA-24", "name": "Cola 24 x 33 cl", "price": Decimal("18.5"),
              "content_label": "4 x 6 x 33 cl"}
    values.update(changes)
    return assortment.Article(**values)


def test_order_multiple_lead_time_and_gtin_are_sent_as_documented():
    package = assortment.build_package(article(order_multiplier=6, lead_time_days=3, gtin="5449000000996",
                                                brand="Cola Co", package_type="tray", shared_id="COLA"))
    assert package["order_multiplier"] == 6
    assert package["lead_time"] == "3 00:00:00"  # Apicbase's "[DD] [HH:[MM:]]ss"
    assert package["gtin"] == "5449000000996"
    assert (package["brand"], package["package_type"], package["shared_id"]) == ("Cola Co", "tray", "COLA")


def test_absent_options_are_left_out_not_sent_empty():
    package = assortment.build_package(article())
    for key in ("order_multiplier", "lead_time", "gtin", "brand", "package_type", "shared_id", "price_unit"):
        assert key not in package


@pytest.mark.parametrize("multiple", [0, -6])
def test_an_order_multiple_below_one_is_refused(multiple):
    with pytest.raises(ContentError) as info:
        assortment.build_package(article(order_multiplier=multiple))
    assert ("order_multiplier", "must be a positive whole number") in info.value.problems


@pytest.mark.parametrize("price, sent", [("18.5", "18.500"), ("0.1235", "0.124"), ("0.1234", "0.123"),
                                         ("7", "7.000")])
def test_the_price_is_sent_with_apicbase_s_three_decimals_rounded_half_up(price, sent):
    assert str(assortment.build_package(article(price=Decimal(price)))["price"]) == sent


def test_a_price_per_unit_carries_its_unit_and_a_price_per_package_does_not():
    per_kg = assortment.build_package(article(price_type_code=1, price_unit="kg", content_label="1 kg"))
    assert (per_kg["price_type_code"], per_kg["price_unit"]) == (1, "kg")
    per_package = assortment.build_package(article(price_unit="kg"))
    assert per_package["price_type_code"] == 0 and "price_unit" not in per_package


# --- every key, rule, warning and byte of the file (tools/mutation found these unchecked) -------

GTIN14 = "10614141000415"
EAN13 = "4006381333931"
COLA_DESCRIPTION = {"quantity": 4, "package": {"quantity": 6, "package": {"quantity": 330,
                                                                          "unit_name": "cubic_centimeter"}}}


@pytest.fixture(autouse=True)
def _labels_read_afresh():
    """Labels are cached across calls: each test below checks what is computed, not remembered."""
    assortment._description_for.cache_clear()


def problems_of(item, **kwargs):
    with pytest.raises(ContentError) as info:
        assortment.build_package(item, **kwargs)
    return info.value.problems


def test_a_plain_article_is_exactly_the_required_keys():
    assert assortment.build_package(article()) == {
        "third_party_id": "COLA-24", "name": "Cola 24 x 33 cl", "price": Decimal("18.5"), "price_type_code": 0,
        "orderable": True, "weighted": False, "package_description": COLA_DESCRIPTION}


def test_every_optional_key_is_sent_when_set():
    package = assortment.build_package(article(
        shared_id="77", brand="Cola Co", description="Classic", package_type="crate", orderable=False,
        lead_time_days=2, weighted=1, gtin=GTIN14, order_multiplier=6, price_type_code=1, price_unit="l"))
    assert package == {
        "third_party_id": "COLA-24", "name": "Cola 24 x 33 cl", "price": Decimal("18.5"), "price_type_code": 1,
        "orderable": False, "weighted": True,
        "package_description": {**COLA_DESCRIPTION, "gtin": GTIN14},
        "shared_id": "77", "brand": "Cola Co", "description": "Classic", "package_type": "crate", "gtin": GTIN14,
        "price_unit": "l", "lead_time": "2 00:00:00", "order_multiplier": 6}
    assert package["weighted"] is True and package["orderable"] is False


def test_empty_texts_and_a_zero_lead_time_are_left_out():
    package = assortment.build_package(article(brand="", description="", lead_time_days=0, orderable=1))
    assert set(package) == {"third_party_id", "name", "price", "price_type_code", "orderable", "weighted",
                            "package_description"}
    assert package["orderable"] is True


@pytest.mark.parametrize("price, sent", [("1.0005", "1.001"), ("1.0015", "1.002"), ("0", "0.000"),
                                         ("0.5", "0.500")])
def test_half_a_thousandth_rounds_up_never_to_even_and_zero_is_a_price(price, sent):
    """Half up, not Python's default half-even (1.0005 would become 1.000); zero is a price."""
    sent_price = assortment.build_package(article(price=Decimal(price)))["price"]
    assert isinstance(sent_price, Decimal) and str(sent_price) == sent


def test_the_gtin_belongs_to_the_outermost_level_of_the_content():
    package = assortment.build_package(article(content_label="2 x 6 x 33 cl", gtin=GTIN14))
    assert package["package_description"] == {
        "quantity": 2, "gtin": GTIN14,
        "package": {"quantity": 6, "package": {"quantity": 330, "unit_name": "cubic_centimeter"}}}
    single = assortment.build_package(article(content_label="5 kg", gtin=EAN13))
    assert single["package_description"] == {"quantity": 5, "unit_name": "kg", "gtin": EAN13}


def test_a_blank_gtin_is_no_gtin():
    package = assortment.build_package(article(gtin=""))
    assert package["package_description"] == COLA_DESCRIPTION and "gtin" not in package


@pytest.mark.parametrize("label", ["5 kg", "6 x 5 kg"])
def test_a_wrong_gtin_is_named_at_the_outermost_level(label):
    assert problems_of(article(content_label=label, gtin="123")) == [
        ("package_description.gtin", "'123' has 3 digits, a GTIN has 8, 12, 13 or 14")]


def test_a_unit_map_decides_how_units_are_sent():
    unit_map = {"cl": ("cl", Decimal(1))}
    package = assortment.build_package(article(content_label="6 x 33 cl"), unit_map=unit_map)
    assert package["package_description"] == {"quantity": 6, "package": {"quantity": 33, "unit_name": "cl"}}
    # The same label without the map: the default one, cached apart.
    default = assortment.build_package(article(content_label="6 x 33 cl"))
    assert default["package_description"]["package"] == {"quantity": 330, "unit_name": "cubic_centimeter"}


@pytest.mark.parametrize("field, limit", [("third_party_id", 50), ("shared_id", 50), ("name", 300),
                                          ("brand", 150), ("package_type", 50)])
def test_texts_are_refused_one_character_past_apicbase_s_limit(field, limit):
    assert assortment.build_package(article(**{field: "x" * limit}))[field] == "x" * limit
    assert problems_of(article(**{field: "x" * (limit + 1)})) == [
        (field, f"is {limit + 1} characters long, Apicbase takes at most {limit}")]


def test_every_problem_of_an_article_is_reported_at_once():
    assert problems_of(article(third_party_id="", name="", price=None, content_label=None, order_multiplier=0)) == [
        ("third_party_id", "is required (set an internal reference)"),
        ("name", "is required"),
        ("price", "is missing (no price in the assortment's pricelist)"),
        ("package_description", "no content is set (e.g. 4 x 6 x 33 cl)"),
        ("order_multiplier", "must be a positive whole number"),
    ]


def test_a_negative_price_is_refused():
    assert problems_of(article(price=Decimal("-0.01"))) == [("price", "must not be negative, got -0.01")]


def test_a_price_per_unit_needs_a_unit_apicbase_accepts():
    assert problems_of(article(price_type_code=1)) == [("price_unit", "is required when the price is per unit")]
    assert problems_of(article(price_type_code=1, price_unit="cl")) == [
        ("price_unit", "'cl' is not a unit Apicbase accepts")]


def test_an_unreadable_content_is_reported_with_the_other_problems():
    assert problems_of(article(name="", content_label="6 x 75 bottles")) == [
        ("name", "is required"),
        ("label", "unknown unit 'bottles', expected one of: mg, g, kg, tonne, oz, lb, ml, cl, dl, l, "
                  "cubic_centimeter, cubic_decimeter, fl oz, gal, piece"),
    ]


@pytest.mark.parametrize("multiple", [None, 1, 12])
def test_an_order_multiple_of_one_or_more_is_fine(multiple):
    package = assortment.build_package(article(order_multiplier=multiple))
    assert package.get("order_multiplier") == multiple


def test_build_assortment_keeps_the_good_and_names_the_bad():
    articles = [article(third_party_id="OK-1"), article(third_party_id="", name="No reference"),
                article(third_party_id="BAD-PRICE", price=None), article(third_party_id="OK-2", name="Second")]
    packages, rejected = assortment.build_assortment(iter(articles))
    assert [package["third_party_id"] for package in packages] == ["OK-1", "OK-2"]
    assert rejected == {"No reference": [("third_party_id", "is required (set an internal reference)")],
                        "BAD-PRICE": [("price", "is missing (no price in the assortment's pricelist)")]}


def test_build_assortment_passes_the_unit_map_on():
    packages, rejected = assortment.build_assortment([article(content_label="33 cl")],
                                                     unit_map={"cl": ("cl", Decimal(1))})
    assert not rejected and packages[0]["package_description"] == {"quantity": 33, "unit_name": "cl"}


@pytest.mark.parametrize("label", ["6 piece", "6 pieces", "12 pc", "12 pcs", "10 st", "10 stuks", "6 PCS ",
                                   "4 x 6 Pieces"])
def test_contents_counted_in_pieces_are_warned_about(label):
    assert assortment.package_warnings(article(content_label=label, gtin=EAN13)) == [
        ("package_description", "counted in pieces: Apicbase prefers a weight or volume")]


def test_a_missing_gtin_is_warned_about_and_a_weight_is_not():
    assert assortment.package_warnings(article(content_label="1 kg")) == [("gtin", "no GTIN (barcode)")]
    assert assortment.package_warnings(article(content_label="1 kg", gtin=EAN13)) == []
    assert assortment.package_warnings(article(content_label=None, gtin=EAN13)) == []
    assert assortment.package_warnings(article(content_label="6 piece")) == [
        ("package_description", "counted in pieces: Apicbase prefers a weight or volume"),
        ("gtin", "no GTIN (barcode)")]


def test_the_file_is_utf8_json_with_sorted_keys_and_exact_numbers():
    packages = [{"name": "Crème brûlée", "price": Decimal("7.50"), "quantity": Decimal("7"), "b": 1}]
    raw = assortment.dumps(packages)
    assert raw == '[{"b": 1, "name": "Crème brûlée", "price": 7.5, "quantity": 7}]'.encode()
    assert json.loads(raw) == [{"b": 1, "name": "Crème brûlée", "price": 7.5, "quantity": 7}]


def test_the_file_refuses_what_json_cannot_say():
    with pytest.raises(TypeError, match="^object is not JSON serialisable$"):
        assortment.dumps([{"price": object()}])


def test_the_file_hash_changes_with_the_content_only():
    one = [assortment.build_package(article())]
    same = [dict(reversed(list(one[0].items())))]  # same package, keys in another order
    other = [assortment.build_package(article(price=Decimal("19")))]
    assert assortment.file_hash(one) == assortment.file_hash(same)
    assert assortment.file_hash(one) != assortment.file_hash(other)
    assert len(assortment.file_hash(one)) == 64 and int(assortment.file_hash(one), 16) >= 0  # SHA-256, hex


# --- what a new file changes against the last one Apicbase accepted ---------------------------

def file_of(*articles):
    return [assortment.build_package(item) for item in articles]


def kept(packages):
    """The file as it comes back from its attachment: its own bytes, read again."""
    return assortment.loads(assortment.dumps(packages))


def test_an_unchanged_file_changes_nothing_even_read_back_from_its_bytes():
    packages = file_of(article(), article(third_party_id="TOM-1KG", name="Tomatoes", price=Decimal("2.4"),
                                          content_label="1 kg"))
    diff = assortment.diff_files(kept(packages), packages)
    assert not diff.changed and diff.known
    assert diff.summary == "No change."
    assert diff.rises_above(10) == ()


def test_added_and_removed_articles_are_named_in_article_number_order():
    old = file_of(article(), article(third_party_id="BEEF-KG", name="Beef", content_label="1 kg"))
    new = file_of(article(), article(third_party_id="ZUCCHINI", name="Zucchini", content_label="1 kg"),
                  article(third_party_id="APPLE", name="Apples", content_label="1 kg"))
    diff = assortment.diff_files(kept(old), new)
    assert diff.added == (assortment.ArticleRef("APPLE", "Apples"), assortment.ArticleRef("ZUCCHINI", "Zucchini"))
    assert diff.removed == (assortment.ArticleRef("BEEF-KG", "Beef"),)
    assert diff.price_changes == () and diff.field_changes == ()
    assert diff.summary == "2 article(s) added, 1 removed."


def test_a_price_change_has_its_old_and_new_price_and_its_percentage():
    old = file_of(article(price=Decimal("18.5")), article(third_party_id="TOM", price=Decimal("3")))
    new = file_of(article(price=Decimal("24.05")), article(third_party_id="TOM", price=Decimal("2.7")))
    diff = assortment.diff_files(kept(old), new)
    rise, fall = diff.price_changes
    assert (rise.third_party_id, rise.old, rise.new, rise.percent, rise.rise) == (
        "COLA-24", Decimal("18.5"), Decimal("24.05"), Decimal("30.0"), True)
    assert (fall.third_party_id, fall.percent, fall.rise) == ("TOM", Decimal("-10.0"), False)
    assert diff.rises == (rise,) and diff.falls == (fall,) and diff.largest_rise == Decimal("30.0")
    assert diff.summary == "2 price(s) changed (1 up, 1 down, largest rise +30.0 %)."


def test_the_percentage_is_rounded_half_up_to_one_decimal():
    diff = assortment.diff_files(kept(file_of(article(price=Decimal("8")))), file_of(article(price=Decimal("8.324"))))
    assert diff.price_changes[0].percent == Decimal("4.1")  # 4.05 exactly
    assert diff.price_changes[0].ratio_percent == Decimal("4.05")


def test_a_rise_above_the_threshold_is_found_and_one_at_it_is_not():
    old = file_of(article(third_party_id="A", price=Decimal("10")), article(third_party_id="B", price=Decimal("10")),
                  article(third_party_id="C", price=Decimal("10")))
    new = file_of(article(third_party_id="A", price=Decimal("11")),
                  article(third_party_id="B", price=Decimal("11.001")), article(third_party_id="C", price=Decimal("5")))
    diff = assortment.diff_files(kept(old), new)
    assert [change.third_party_id for change in diff.rises_above(10)] == ["B"]
    assert [change.third_party_id for change in diff.rises_above(Decimal("9.99"))] == ["A", "B"]
    assert [change.third_party_id for change in diff.rises_above(10.0)] == ["B"], "a float threshold, as Odoo's"
    for off in (0, None, -5):
        assert diff.rises_above(off) == (), "empty or zero: the check is off"
    for low in (1, 0.5):
        assert [change.third_party_id for change in diff.rises_above(low)] == ["A", "B"], "under a percent"


def test_a_rise_from_a_zero_price_is_always_above_the_threshold():
    diff = assortment.diff_files(kept(file_of(article(price=Decimal("0")))), file_of(article(price=Decimal("1"))))
    [change] = diff.price_changes
    assert change.percent is None and change.ratio_percent is None
    assert diff.rises_above(50) == (change,)
    assert diff.largest_rise is None
    assert diff.summary == "1 price(s) changed (1 up, 0 down)."


def test_other_fields_are_compared_and_named_as_people_call_them():
    old = file_of(article(name="Cola", lead_time_days=None, orderable=True))
    new = file_of(article(name="Cola Zero", content_label="6 x 33 cl", orderable=False, order_multiplier=6,
                          lead_time_days=2, brand="Cola Co"))
    diff = assortment.diff_files(kept(old), new)
    assert [(change.label, change.old, change.new) for change in diff.field_changes] == [
        ("name", "Cola", "Cola Zero"),
        ("content", COLA_DESCRIPTION, {"quantity": 6, "package": {"quantity": 330, "unit_name": "cubic_centimeter"}}),
        ("orderable", True, False),
        ("order multiple", None, 6),
        ("lead time", None, "2 00:00:00"),
        ("brand", None, "Cola Co"),
    ]
    assert {change.name for change in diff.field_changes} == {"Cola Zero"}, "named as in the new file"
    assert diff.changed_articles == 1
    assert diff.summary == "6 other change(s) on 1 article(s)."


def test_a_key_no_label_knows_is_still_compared():
    old = [{**assortment.build_package(article()), "novelty": 1}]
    diff = assortment.diff_files(old, [{**assortment.build_package(article()), "novelty": 2}])
    assert [(change.field, change.label) for change in diff.field_changes] == [("novelty", "novelty")]


def test_without_a_kept_file_everything_is_new_and_said_to_be_unknown():
    diff = assortment.diff_files(None, file_of(article(third_party_id="B"), article(third_party_id="A")))
    assert not diff.known and diff.changed
    assert [ref.third_party_id for ref in diff.added] == ["A", "B"]
    assert diff.summary == "No earlier file to compare with: 2 article(s) in the new file."


def test_each_change_names_its_article_by_number_and_by_its_name_in_the_new_file():
    old = file_of(article(third_party_id="A", name="Old", price=Decimal("1")), article(third_party_id="B"))
    new = file_of(article(third_party_id="A", name="New", price=Decimal("2")), article(third_party_id="B", brand="X"))
    diff = assortment.diff_files(kept(old), new)
    assert diff.price_changes == (assortment.PriceChange("A", "New", Decimal("1"), Decimal("2")),)
    assert diff.field_changes == (assortment.FieldChange("A", "New", "name", "Old", "New"),
                                  assortment.FieldChange("B", "Cola 24 x 33 cl", "brand", None, "X"))
    assert diff.changed_articles == 2


def test_a_kept_file_without_names_or_prices_is_compared_all_the_same():
    """A file kept by hand or by an older version may lack what build_package always writes."""
    old = [{"third_party_id": "A", "price": 1}, {"third_party_id": "B", "name": "Bread"}]
    new = [{"third_party_id": "A", "price": 2, "brand": "X"}, {"third_party_id": "B", "name": "Bread", "price": 3},
           {"third_party_id": "C"}]
    diff = assortment.diff_files(old, new)
    assert diff.added == (assortment.ArticleRef("C", ""),)
    assert diff.price_changes == (assortment.PriceChange("A", "", Decimal("1"), Decimal("2")),)
    assert diff.field_changes == (assortment.FieldChange("A", "", "brand", None, "X"),)
    assert assortment.diff_files(None, new) == assortment.FileDiff(
        added=(assortment.ArticleRef("A", ""), assortment.ArticleRef("B", "Bread"), assortment.ArticleRef("C", "")),
        known=False)


def test_everything_at_once_is_counted_in_one_readable_line():
    old = file_of(article(), article(third_party_id="GONE", name="Gone"))
    new = file_of(article(price=Decimal("24.05"), lead_time_days=2), article(third_party_id="NEW", name="New"))
    assert assortment.diff_files(kept(old), new).summary == (
        "1 article(s) added, 1 removed, 1 price(s) changed (1 up, 0 down, largest rise +30.0 %), "
        "1 other change(s) on 1 article(s).")


@pytest.mark.parametrize("field, value, shown", [
    ("package_description", COLA_DESCRIPTION, "4 × 6 × 330 cubic_centimeter"),
    ("package_description", {"quantity": 6, "unit_name": "bottle"}, '{"quantity": 6, "unit_name": "bottle"}'),
    ("lead_time", "3 00:00:00", "3 day(s)"),
    ("lead_time", "1 02:00:00", "1 02:00:00"), ("lead_time", "12 00:00:00", "12 day(s)"),
    ("package_description", {"unit_name": "bottle", "quantity": Decimal("1.5")},
     '{"quantity": "1.5", "unit_name": "bottle"}'),
    ("package_description", "6 x 33 cl", "6 x 33 cl"), ("novelty", {"b": 1}, "{'b': 1}"),
    ("orderable", True, "yes"), ("orderable", False, "no"),
    ("order_multiplier", None, "-"), ("brand", "", "-"), ("order_multiplier", 6, "6"),
    ("price_type_code", 1, "per unit"), ("price_type_code", 0, "per package"),
])
def test_values_are_described_as_people_read_them(field, value, shown):
    assert assortment.describe_value(field, value) == shown


def test_a_kept_file_reads_its_prices_as_exact_decimals():
    [package] = assortment.loads(assortment.dumps(file_of(article(price=Decimal("0.125")))))
    assert package["price"] == Decimal("0.125") and isinstance(package["price"], Decimal)
