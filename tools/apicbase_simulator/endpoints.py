"""The data endpoints (customers, packages, events, files, purchase orders and their PATCH): a
mixin of :class:`~apicbase_simulator.server.Simulator`."""
import copy

from .common import isoformat, json_body, json_response, not_found, utcnow
from .queries import (CUSTOMER_ORDERING, EVENT_FILTERS, EVENT_ORDERING, FILE_ORDERING,
                      ORDER_FILTERS, ORDER_ORDERING, PACKAGE_FILTERS, PACKAGE_ORDERING, BadRequest,
                      apply_filters, apply_ordering, paginate)
from .validation import Errors

PATCH_IDS_FIELD = "ids"  # undocumented: the client's guess, mirrored here alone
PATCH_FLAGS = ("fetched_by_supplier", "viewed_by_supplier")


class Endpoints:
    def _list(self, request, items, ordering, default=None, filters=None):
        """One page of ``items``, filtered and ordered as the query asks."""
        if filters:
            items = apply_filters(items, request.args, filters)
        items = apply_ordering(items, request.args, ordering, default)
        page = paginate(request.args, request.base_url, items, self.next_style)
        if page is None:
            return json_response(404, {"detail": "Invalid page."})
        return json_response(200, page)

    # The lists are filtered, paged and written out as JSON under the lock: a page is a snapshot
    # without copying the whole data set for every page asked (thousands of orders, pages of 200).

    def _list_customers(self, request):
        with self.lock:
            return self._list(request, self.customers, CUSTOMER_ORDERING)

    def _package_results(self, customer_number):
        """The ``{"supplier_outlet_id", "package"}`` results of a customer, or None if unknown."""
        with self.lock:
            customer = self.customer(customer_number)
            if customer is None and customer_number not in self.packages:
                return None
            outlet = (customer or {}).get("supplier_outlet_id")
            packages = copy.deepcopy(list(self.packages.get(customer_number, {}).values()))
        return [{"supplier_outlet_id": outlet, "package": package} for package in packages]

    def _list_packages(self, request, customer_number):
        results = self._package_results(customer_number)
        if results is None:
            return not_found()
        return self._list(request, results, PACKAGE_ORDERING, filters=PACKAGE_FILTERS)

    def _get_package(self, request, customer_number, third_party_id):
        for result in self._package_results(customer_number) or []:
            if result["package"]["third_party_id"] == third_party_id:
                return json_response(200, result)
        return not_found()

    def _list_events(self, request):
        with self.lock:
            return self._list(request, self.events, EVENT_ORDERING, "created_at", EVENT_FILTERS)

    def _list_files(self, request):
        with self.lock:
            items = [{key: value for key, value in record.items() if key != "content"}
                     for record in self.files]
        return self._list(request, items, FILE_ORDERING, "id")

    def _list_orders(self, request):
        with self.lock:
            return self._list(request, self.purchase_orders, ORDER_ORDERING, "ordered_on", ORDER_FILTERS)

    def _patch_orders(self, request):
        content_type = request.mimetype
        if content_type != "application/json":
            return json_response(415, {"detail": f'Unsupported media type "{content_type}" in '
                                                 'request.'})
        try:
            body = json_body(request)
        except ValueError as exc:
            return json_response(400, {"detail": str(exc)})
        ids, flags = self._read_patch(body)
        stamp = isoformat(utcnow())
        with self.lock:
            named = [order for order in self.purchase_orders if str(order.get("id")) in ids]
            for order in named:
                for flag in flags:
                    order[f"{flag}_at"] = order.get(f"{flag}_at") or stamp  # set once, for good
        return json_response(200, {"updated": len(named)})

    @staticmethod
    def _read_patch(body):
        """``(set of ids, flags to stamp)`` from a PATCH body; BadRequest when it is wrong."""
        if not isinstance(body, dict):
            raise BadRequest({"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors = Errors()
        ids = body.get(PATCH_IDS_FIELD)
        if ids is None:
            errors.add(PATCH_IDS_FIELD, "This field is required.")
        elif not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not
                                                  isinstance(i, bool) for i in ids):
            errors.add(PATCH_IDS_FIELD, "Expected a list of order ids.")
        for name in body:
            if name != PATCH_IDS_FIELD and name not in PATCH_FLAGS:
                errors.add(name, f"Unknown field. Expected {PATCH_IDS_FIELD}, "
                                 + ", ".join(PATCH_FLAGS) + ".")
        for flag in PATCH_FLAGS:  # the stamps are irreversible: only true means something
            if body.get(flag) is not None and body.get(flag) is not True:
                errors.add(flag, "Must be true.")
        flags = [flag for flag in PATCH_FLAGS if body.get(flag) is True]
        if not errors and not flags:
            errors.add("non_field_errors", "Set " + " and/or ".join(PATCH_FLAGS) + " to true.")
        if errors:
            raise BadRequest(dict(errors))
        return {str(i) for i in ids}, flags

