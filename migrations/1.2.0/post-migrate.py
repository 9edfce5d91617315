"""1.2: an assortment's product filter is applied with its author's rights. Filters stored before
were given the upgrading superuser by the new column's default, which would keep them unchecked:
their author is taken to be whoever created the assortment."""


def migrate(cr, version):
    cr.execute("UPDATE apicbase_assortment SET product_domain_user_id = create_uid WHERE create_uid IS NOT NULL")
