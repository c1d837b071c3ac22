"""The ``commons`` command (and ``python -m commons``): a Flask command group that creates the app."""

import click
from flask.cli import FlaskGroup

from commons import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """School Improvement Commons: share how schools improved."""


if __name__ == "__main__":
    main()
