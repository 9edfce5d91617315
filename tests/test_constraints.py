"""The database guarantees are the database's, on 18.0 and 19.0 alike (compat.sql_constraints
declares them the way each version reads): the inbox's unique index first, on which the promise
"the same order twice gives one sale order" rests."""
import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..compat import declared_constraints
from .common import ApicbaseCase

# (table, constraint name, what PostgreSQL must hold): every SQL constraint the addon declares.
EXPECTED = [
    ("apicbase_order", "apicbase_order_apicbase_id_company_unique", "UNIQUE (company_id, apicbase_id)"),
]


@tagged("post_install", "-at_install")
class TestConstraints(ApicbaseCase):

    def constraint(self, table, name):
        self.env.cr.execute("""
            SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = %s AND c.conname = %s""", [table, name])
        row = self.env.cr.fetchone()
        return row and row[0]

    def test_the_inbox_unique_index_is_in_the_database(self):
        for table, name, definition in EXPECTED:
            with self.subTest(name):
                self.assertEqual(self.constraint(table, name), definition)

    def test_every_declared_constraint_is_in_the_database(self):
        """Each constraint the addon's models declare (18.0's _sql_constraints, 19.0's
        models.Constraint) exists in PostgreSQL; on Odoo's own models, those the addon adds."""
        declared = 0
        for model_name in self.env.registry:
            model = self.env[model_name]
            for name in declared_constraints(model):
                if not (model_name.startswith("apicbase.") or name.startswith(f"{model._table}_apicbase")):
                    continue
                declared += 1
                with self.subTest(model=model_name, constraint=name):
                    self.assertTrue(self.constraint(model._table, name))
        self.assertGreaterEqual(declared, 8, "eight of the addon's models declare constraints")

    def test_the_database_refuses_a_second_copy_of_an_order(self):
        """Beside the ORM: an INSERT of the same Apicbase id for the same company is refused."""
        _outcome, record = self.receive()
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO apicbase_order (company_id, apicbase_id, raw_payload, state, source, received_at) "
                "SELECT company_id, apicbase_id, raw_payload, state, source, received_at FROM apicbase_order "
                "WHERE id = %s", [record.id])
