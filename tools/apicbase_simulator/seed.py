"""The seed data: three customers' packages (stored as given, ``cl`` included, as Apicbase's own
examples write it) and three purchase orders, one in each status."""
import copy
from decimal import Decimal

from .validation import stored_package

ORDER_EXTRA_DEFAULTS = {"delivery_closed": False, "invoice_status": 0,
                        "viewed_by_supplier_at": None, "fetched_by_supplier_at": None,
                        "discount": None, "invoice_number": None}


def _seed_package(third_party_id, name, price, description, **extra):
    article = extra.pop("article", None)
    data = {"third_party_id": third_party_id, "name": name, "price": price,
            "package_description": description, **extra}
    return stored_package(data, article)


def seed_packages():
    """customer_number -> list of stored packages."""
    potatoes = {"shared_id": "POT", "name": "Potatoes", "brand": None}
    cola_description = {"quantity": 4, "gtin": "5449000000996",
                        "package": {"quantity": 6, "package": {"quantity": 33, "unit_name": "cl"}}}
    cust1 = [
        _seed_package("POT-1KG", "Potatoes 1 kg", "1.95", {"quantity": 1, "unit_name": "kg"},
                      shared_id="POT", gtin="5412345000013", article=potatoes),
        _seed_package("POT-3X1KG", "Potatoes 3 x 1 kg", "5.40",
                      {"quantity": 3, "package": {"quantity": 1, "unit_name": "kg"}},
                      shared_id="POT", package_type="bag", article=potatoes),
        _seed_package("COLA-4X6X33", "Cola 4 x 6 x 33 cl", "19.999", cola_description,
                      shared_id="COLA-33", brand="Cola Co", package_type="tray"),
        _seed_package("FLOUR-10X100G", "Flour 10 x 100 g", "7.25",
                      {"quantity": 10, "package": {"quantity": 100, "unit_name": "g"}},
                      shared_id="FLOUR", brand="Mill & Co", package_type="box",
                      gtin="5412345000020"),
        _seed_package("BEEF-KG", "Beef per kg", "24.5", {"quantity": 1, "unit_name": "kg"},
                      shared_id="BEEF", price_type_code=1, orderable=True),
        _seed_package("SALT-500G", "Sea salt 500 g", "0.89", {"quantity": 500, "unit_name": "g"},
                      shared_id="SALT", orderable=False, gtin="5412345000037"),
    ]
    cust2_prices = {"POT-1KG": "1.850", "COLA-4X6X33": "18.500", "BEEF-KG": "23.900"}
    cust2 = [dict(copy.deepcopy(package), price=cust2_prices[package["third_party_id"]])
             for package in cust1 if package["third_party_id"] in cust2_prices]
    return {"CUST-1": cust1, "CUST-2": cust2, "CUST-3": []}


def order_line(third_party_id, name, price, quantity):
    price = Decimal(price)
    return {"stock_item": {"name": name},
            "supplier_package": {"supplier_article_number": third_party_id,
                                 "theoretical_price_per_package": str(price)},
            "quantity_ordered": quantity,
            "total_theoretical_price": str(price * quantity)}


def purchase_order(order_id, status, ordered_on, expected, lines, **extra):
    """A purchase order as Apicbase lists it (Bistro Anna's by default; ``extra`` overrides)."""
    total = sum((Decimal(line["total_theoretical_price"]) for line in lines), Decimal("0.000"))
    order = {"id": order_id, "order_number": order_id.upper(), "status": status,
             "ordered_on": ordered_on, "owned_by": {"username": "chef.anna"},
             "order_remarks": None, "packages": lines, "expected_delivery_date": expected,
             "theoretical_price": str(total), "supplier_customer_number": "CUST-1"}
    order.update(ORDER_EXTRA_DEFAULTS)
    order.update(extra)
    return order


def seed_orders():
    return [
        purchase_order("po-1001", "IN_PROGRESS", None, "2025-06-20T06:00:00Z",
               [order_line("POT-1KG", "Potatoes", "1.950", 4)]),
        purchase_order("po-1002", "ORDERED", "2025-06-10T09:15:00Z", "2025-06-11T06:00:00Z",
               [order_line("POT-3X1KG", "Potatoes", "5.400", 2),
                order_line("COLA-4X6X33", "Cola 33 cl", "19.999", 1),
                order_line("BEEF-KG", "Beef", "24.500", 3)],
               order_remarks="Back door, please"),
        purchase_order("po-1003", "DELIVERED", "2025-06-01T08:00:00Z", "2025-06-02T06:00:00Z",
               [order_line("FLOUR-10X100G", "Flour", "7.250", 2)],
               delivery_closed=True, invoice_status=2, invoice_number="INV-2025-0042",
               discount="0.000", viewed_by_supplier_at="2025-06-01T08:05:00Z",
               fetched_by_supplier_at="2025-06-01T08:01:00Z"),
    ]
