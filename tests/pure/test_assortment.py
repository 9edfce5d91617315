"""The assortment-file builder: what one Odoo product becomes in the JSON file Apicbase receives."""
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
