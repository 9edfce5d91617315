"""The addon's own exceptions (the pure Apicbase library's are in apicbase/errors.py)."""
from odoo.exceptions import UserError


class ApicbaseMappingError(UserError):
    """The order names a customer or an article that Odoo cannot resolve.

    The message (``args[0]``) is for staff and names our contacts and products; ``restaurant_message``
    names only what the restaurant sent (its customer and article numbers): the refuse policy answers
    Apicbase with it, and Apicbase shows it to the restaurant.
    """

    def __init__(self, message, restaurant_message, partner=None):
        super().__init__(message)
        self.restaurant_message = restaurant_message
        self.partner = partner
