"""1.3: the last file Apicbase accepted is kept on each assortment, and every publish is compared
with it. Before 1.3 only its hash was kept: an assortment whose file, built now, has that hash still
holds exactly what Apicbase holds, and that file is kept. The others changed since their last
publish: what Apicbase holds is unknown, so the hourly republish leaves them to a person once."""
import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.apicbase_connector.apicbase import assortment as assortment_lib

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    assortments = env["apicbase.assortment"].with_context(active_test=False).search(
        [("last_published_hash", "!=", False)])
    kept = 0
    for assortment in assortments.filtered(lambda record: not record.last_file):
        try:
            with cr.savepoint():
                packages, _rejected, _articles = assortment._build()
                if packages and assortment_lib.file_hash(packages) == assortment.last_published_hash:
                    assortment._keep_file(packages)
                    kept += 1
        except Exception as exc:  # noqa: BLE001 - one assortment that does not build must not stop the upgrade
            _logger.warning("Apicbase assortment %s: its last file could not be rebuilt (%s): what it holds in "
                            "Apicbase is unknown until its next publish", assortment.id, type(exc).__name__)
    _logger.info("Apicbase: the last file of %s of %s published assortment(s) kept", kept, len(assortments))
