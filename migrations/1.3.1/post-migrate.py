"""1.3.1: the follow-up's method is ``_cron_follow_up`` (it was ``_cron_reconcile``). The scheduled
action is noupdate data, so an upgrade would keep calling the old name: its code is rewritten here,
and nothing else of it (interval, activity, next run) is touched."""


def migrate(cr, version):
    cr.execute("""
        UPDATE ir_act_server SET code = 'model._cron_follow_up()'
         WHERE id = (SELECT s.id FROM ir_cron c JOIN ir_act_server s ON s.id = c.ir_actions_server_id
                       JOIN ir_model_data d ON d.res_id = c.id AND d.model = 'ir.cron'
                      WHERE d.module = 'apicbase_connector' AND d.name = 'ir_cron_apicbase_reconcile')
           AND code = 'model._cron_reconcile()'
    """)
