"""What every command shares: how a failure is printed."""

import sys
from typing import NoReturn

import click

from commons.domain.errors import ImportProblems
from indexer import IndexMismatchError


def fail(error: Exception) -> NoReturn:
    """Print what went wrong (each import problem on its own line) and exit with status 1."""
    if isinstance(error, ImportProblems):
        click.secho(f"Nothing was imported: {len(error.problems)} problem(s) to fix.", fg="red", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
    elif isinstance(error, IndexMismatchError):  # the library says to rebuild the index; this command does
        click.secho(f"Error: {error} (run `commons reindex`)", fg="red", err=True)
    else:
        click.secho(f"Error: {error}", fg="red", err=True)
    sys.exit(1)
