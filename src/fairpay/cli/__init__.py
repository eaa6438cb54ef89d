"""The ``fairpay`` command line: thin wrappers that parse arguments, call the API, print, exit.

Exit codes everywhere: 0 = OK, 1 = a verdict found underpayment, 2 = invalid input or data (one
line on stderr, never a traceback), 3 = an unexpected error inside fairpay: a bug, reported in one
line (the traceback only with ``FAIRPAY_TRACEBACK=1``), so a CI gate never mistakes a crash for a
verdict. 130 = interrupted. Each sub-command lives in its own module with a
``register(app)`` function; heavy imports happen inside the command bodies so ``--help`` is fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from fairpay.errors import FairpayError

# Modules under fairpay.cli that define register(app). Add one entry per command module.
COMMAND_MODULES: tuple[str, ...] = (
    "benchmarks_cmd",
    "audit_cmd",
    "check_cmd",
    "time_cmd",
    "data_cmd",
    "forecast_cmd",
    "vendor_cmd",
    "transparency_cmd",
)


def build_app() -> typer.Typer:
    """Create the Typer app with every registered command."""
    import importlib

    app = typer.Typer(
        name="fairpay",
        help="Check that data-enrichment work pays at least a local living wage.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def _root() -> None:
        """Check that data-enrichment work pays at least a local living wage."""

    for name in COMMAND_MODULES:
        importlib.import_module(f"fairpay.cli.{name}").register(app)
    return app


def fail(message: str) -> typer.Exit:
    """Print one error line to stderr and return the exit-2 signal (raise it)."""
    typer.echo(f"fairpay: error: {_one_line(message)}", err=True)
    return typer.Exit(2)


#: Exit codes: each means one thing.
EXIT_OK, EXIT_BELOW, EXIT_INVALID, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: expected failures -> one line and exit 2; anything unexpected -> one line, exit 3."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        typer.echo("fairpay: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        import os

        if os.environ.get("FAIRPAY_TRACEBACK"):
            import traceback

            traceback.print_exc()
        typer.echo(
            f"fairpay: internal error (a bug in fairpay, please report it): {type(exc).__name__}: "
            f"{_one_line(str(exc))[:300]} (set FAIRPAY_TRACEBACK=1 for the traceback)",
            err=True,
        )
        return EXIT_BUG


def _main(argv: Sequence[str] | None) -> int:
    app = build_app()
    try:
        result = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except FairpayError as exc:
        typer.echo(f"fairpay: error: {_one_line(str(exc))}", err=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("fairpay: aborted", err=True)
        return 2
    except TyperException as exc:  # click usage errors (vendored by typer)
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
            return 0
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"fairpay: error: {_one_line(message)}", err=True)
        return 2
    except OSError as exc:
        name = exc.filename
        typer.echo(f"fairpay: error: {name or ''}{': ' if name else ''}{exc.strerror or exc}", err=True)
        return 2
    return result if isinstance(result, int) else 0


def _one_line(message: str) -> str:
    """An error on one line, with bidi controls shown, so a hostile value cannot reorder it."""
    from fairpay.report.safetext import visible

    return visible(" ".join(message.split()))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
