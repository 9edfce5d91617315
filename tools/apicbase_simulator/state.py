"""The data set (customers, packages, events, files, purchase orders): a mixin of
:class:`~apicbase_simulator.server.Simulator`, which creates the attributes."""
import copy

from .common import isoformat, price_number, utcnow
from .seed import ORDER_EXTRA_DEFAULTS, seed_orders, seed_packages
from .validation import stored_package


class DataSet:
    STATE = ("customers", "packages", "events", "files", "purchase_orders")

    def load_seed(self):
        for customer_number, outlet in (("CUST-1", 1), ("CUST-2", 1), ("CUST-3", None)):
            self.add_customer(customer_number, outlet)
        for customer_number, packages in seed_packages().items():
            with self.lock:
                self.packages.setdefault(customer_number, {})
            for package in packages:
                self.add_package(customer_number, package)
        for order in seed_orders():
            self.add_purchase_order(order)

    def add_customer(self, customer_number, supplier_outlet_id=None):
        with self.lock:
            customer = self.customer(customer_number)
            if customer is None:
                customer = {"customer_number": customer_number}
                self.customers.append(customer)
            customer["supplier_outlet_id"] = supplier_outlet_id
            return customer

    def add_package(self, customer_number, package_dict):
        """Stores a package as given (no validation). A dict in upload form (no ``article``)
        is converted to the stored shape; ``price`` becomes a JSON number of at most 3 decimals."""
        if "article" in package_dict:
            package = copy.deepcopy(package_dict)
            package["price"] = price_number(package.get("price"))
        else:
            package = stored_package(package_dict)
        if not package.get("third_party_id"):
            raise ValueError("a package needs a third_party_id")
        with self.lock:
            self.packages.setdefault(customer_number, {})[package["third_party_id"]] = package
        return package

    def add_purchase_order(self, order_dict):
        order = copy.deepcopy(order_dict)
        for key, default in ORDER_EXTRA_DEFAULTS.items():
            order.setdefault(key, default)
        with self.lock:
            self.purchase_orders = [existing for existing in self.purchase_orders
                                    if existing.get("id") != order.get("id")]
            self.purchase_orders.append(order)
        return order

    def receive_order(self, order_id, invoice_status=None, invoice_number=None, closed=True):
        """What a restaurant records in Apicbase's "Receive order": a delivery (status DELIVERED,
        closed unless more is expected) and, typed by hand, our invoice's status (0-3) and number.
        The supplier's API has no way to do this: it is the restaurant's side of the story."""
        if invoice_status is not None and invoice_status not in (0, 1, 2, 3):
            raise ValueError("invoice_status is 0, 1, 2 or 3")
        with self.lock:
            order = next(order for order in self.purchase_orders if order.get("id") == order_id)
            order.update(status="DELIVERED", delivery_closed=closed)
            if invoice_status is not None:
                order["invoice_status"] = invoice_status
            if invoice_number is not None:
                order["invoice_number"] = invoice_number
            return order

    def add_event(self, event_type, message, customer_number=None, third_party_id=None,
                  extra_data=None):
        event = {"message": message, "created_at": isoformat(utcnow()), "event_type": event_type,
                 "customer_number": customer_number, "third_party_id": third_party_id,
                 "extra_data": extra_data}
        with self.lock:
            self.events.append(event)
        return event

    def customer(self, customer_number):
        """The customer with that number, or None."""
        with self.lock:
            return next((customer for customer in self.customers
                         if customer["customer_number"] == customer_number), None)

    def snapshot(self):
        """A copy of the data set (customers, packages, events, files, orders) to restore."""
        with self.lock:
            return {name: copy.deepcopy(getattr(self, name)) for name in self.STATE}

    def restore(self, snapshot):
        """Puts back the data set of a :meth:`snapshot` and forgets queued faults: a test that
        changed the simulator leaves it as it found it."""
        with self.lock:
            for name in self.STATE:
                setattr(self, name, copy.deepcopy(snapshot[name]))
            self._faults.clear()
