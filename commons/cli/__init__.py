"""The ``commons`` command line, by area; the entry point is ``commons.__main__:main``."""

from flask import Flask

from commons.cli import accounts, alerts, content, operations, search


def init_app(app: Flask) -> None:
    """Register the commands on the app (``commons ...`` and the test CLI runner)."""
    for command in (content.db_upgrade, content.setup, content.import_command, search.search, content.reindex,
                    content.schools, accounts.users, content.export_command, operations.serve,
                    operations.eval_command, operations.doctor, operations.backup_command,
                    operations.restore_command, operations.judged_command, alerts.alerts):
        app.cli.add_command(command)
