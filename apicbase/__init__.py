"""Pure Python core of the Apicbase connector.

Nothing in this package imports ``odoo``: signature checks, payload parsing, the
package-content arithmetic and the REST client are plain Python so that they can
be tested (and reused) anywhere in seconds.
"""
