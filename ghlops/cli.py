"""Click commands only: parse options, call one command function, map errors to exit codes.

This module is the one error boundary: every error (a GhlopsError, a click usage error, a closed stdout) becomes
one ``error:`` line on stderr and exit code 1, as terraform does. Exit 2 means "changes present", and only under
``plan --detailed-exitcode``; 130 an interrupt.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, TypeVar

import click

from ghlops import __version__, redact
from ghlops.commands import exit_codes
from ghlops.errors import ConfigError, GhlopsError
from ghlops.kinds.registry import section_names
from ghlops.manifest.values_check import CREDENTIAL_ENVS
from ghlops.output import Io
from ghlops.plan.model import Guard
from ghlops.progress import progress_factory
from ghlops.redact import scrub
from ghlops.selection import Shard, parse_shard
from ghlops.workflow import Settings, parallelism_from

F = TypeVar("F", bound=Callable[..., int])
C = TypeVar("C", bound=Callable[..., Any])

# What the global options (given before or after the subcommand) leave in the root context's meta.
_COLOUR = "ghlops.colour"
_DEBUG_HANDLER = "ghlops.debug_handler"
_WARNINGS_HANDLER = "ghlops.warnings_handler"


def colour_wanted(flag: bool | None, env: Mapping[str, str], tty: bool) -> bool:
    """Whether text output is coloured: --color / --no-color first; then NO_COLOR (no-color.org) off;
    FORCE_COLOR on (force-color.org: CI logs that render ANSI, where stdout is no terminal); TERM=dumb off;
    otherwise only on a terminal."""
    if flag is not None:
        return flag
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return tty


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _root_meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().meta if ctx is not None else {}


def _io() -> Io:
    tty = sys.stdout.isatty()
    return Io(
        colour=colour_wanted(_root_meta().get(_COLOUR), os.environ, tty),
        interactive=tty and sys.stdin.isatty(),
        ask=lambda prompt: click.prompt(prompt, default="", show_default=False),
    )


def _error(message: str) -> None:
    try:
        for line in message.splitlines() or ["error"]:
            click.echo(scrub(f"error: {line}"), err=True)
    except (OSError, ValueError):  # stderr closed too: nothing left to tell
        pass


def _closed_stdout() -> int:
    """A reader that went away (``| head -1``): stop cleanly, exit 1, and keep Python's exit-time flush of
    stdout from raising again (its "Exception ignored" lines) by pointing stdout at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests' captured stdout)
        pass
    _error("standard output was closed before ghlops finished writing (broken pipe)")
    return exit_codes.ERROR


def _boundary(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        # One redaction session per command, its error line included: the credentials the environment holds are
        # known from the start, the ones loaded later are added where they are loaded, and all output passes
        # through redact.scrub.
        with redact.session(os.environ, CREDENTIAL_ENVS):
            try:
                code = fn(*args, **kwargs)
            except GhlopsError as exc:
                _error(str(exc) or type(exc).__name__)
                code = exc.exit_code
            except BrokenPipeError:
                code = _closed_stdout()
            except KeyboardInterrupt:
                click.echo("interrupted", err=True)
                code = exit_codes.INTERRUPTED
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


class _OwnMessage(click.UsageError):
    """A usage error whose message already names the option (ghlops's own wording, e.g. --shard's)."""

    def format_message(self) -> str:
        return self.message


# Not ParamType[Shard]: ParamType is generic only in recent click releases, and pyproject accepts older ones.
class ShardType(click.ParamType):  # type: ignore[type-arg]
    """``--shard I/N``: parsed (and refused, as one line) while click reads the command line."""

    name = "I/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Shard:
        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(str(value))
        except ConfigError as exc:
            raise _OwnMessage(str(exc), ctx) from None


class GhlopsGroup(click.Group):
    """The top-level group: click's usage errors exit 1 with one line, not click's 2 (which under terraform's
    convention, and plan --detailed-exitcode's, means "changes present")."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(args, prog_name or "ghlops", complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            own = isinstance(exc, _OwnMessage) or exc.ctx is None
            hint = "" if own else f" (see {exc.ctx.command_path} --help)"  # type: ignore[union-attr]
            _error(exc.format_message() + hint)
            code = exit_codes.ERROR
        except click.ClickException as exc:
            _error(exc.format_message())
            code = exit_codes.ERROR
        except click.Abort:
            _error("aborted")
            code = exit_codes.ERROR
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            code = _closed_stdout()
        if not standalone_mode:
            return code
        sys.exit(code)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value:
        return
    meta = ctx.find_root().meta
    if _DEBUG_HANDLER in meta:
        return
    # Only ghlops's own loggers: they redact tokens; httpx's would print URLs and headers unfiltered.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(asctime)s %(name)s %(message)s"))
    logger = logging.getLogger("ghlops")
    warnings = meta.pop(_WARNINGS_HANDLER, None)
    if warnings is not None:  # the debug handler prints warnings too: never twice
        logger.removeHandler(warnings)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    meta[_DEBUG_HANDLER] = handler
    ctx.find_root().call_on_close(lambda: logger.removeHandler(handler))


def _set_colour(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    if value is not None:
        ctx.find_root().meta[_COLOUR] = value


def global_options(fn: C) -> C:
    """The options every command takes before or after its name: ``ghlops --debug plan`` and
    ``ghlops plan ghl/ --debug`` are the same."""
    fn = click.option(
        "--color/--no-color", "colour", default=None, expose_value=False, callback=_set_colour,
        help="Colour text output, or not (default: on a terminal; NO_COLOR, FORCE_COLOR and TERM=dumb apply).",
    )(fn)  # fmt: skip
    fn = click.option(
        "--debug", is_flag=True, expose_value=False, callback=_set_debug,
        help="Log every HTTP request (tokens redacted) to stderr.",
    )(fn)  # fmt: skip
    return fn


def _settings(
    parallelism: int | None,
    max_delete_percent: float = 25.0,
    max_contacts_affected: int | None = None,
    max_update_percent: float = 30.0,
) -> Settings:
    env = dict(os.environ)
    return Settings(
        env=env,
        parallelism=parallelism_from(parallelism, env),
        guard=Guard(
            max_delete_percent=max_delete_percent,
            max_contacts_affected=max_contacts_affected,
            max_update_percent=max_update_percent,
        ),
        progress=progress_factory(
            sys.stderr, env, colour=colour_wanted(_root_meta().get(_COLOUR), env, _isatty(sys.stderr))
        ),
    )


paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
location_option = click.option(
    "--location", "locations", multiple=True, metavar="NAME", help="Only this location (name or glob); repeatable."
)
max_delete_option = click.option(
    "--max-delete-percent",
    type=click.FloatRange(0, 100),
    default=25.0,
    show_default=True,
    help="Refuse to apply when a location would lose more than this share of a kind (once it has 10+).",
)
max_update_option = click.option(
    "--max-update-percent",
    type=click.FloatRange(0, 100),
    default=30.0,
    show_default=True,
    help="Refuse to apply when a location would update more than this share of a kind (once it has 10+), or one "
    "object would be updated in more than this share of the locations (once that is 10+).",
)
max_contacts_option = click.option(
    "--max-contacts-affected",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Refuse to apply when the destructive changes take data from more than N contacts in total.",
)
no_impact_option = click.option(
    "--no-impact",
    is_flag=True,
    help="Skip counting the contacts each destructive change affects (one contacts search per change).",
)
parallelism_option = click.option(
    "--parallelism", type=click.IntRange(min=1), default=None, envvar="GHLOPS_PARALLELISM",
    help="Locations handled at once (default 8, or GHLOPS_PARALLELISM).",
)  # fmt: skip
shard_option = click.option(
    "--shard", type=ShardType(), default=None, help="Only the locations of shard I of N (stable by name), e.g. 2/4."
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
    help="Output format (json: schemas/plan.schema.json; markdown: for pull-request comments).",
)  # fmt: skip


class _Command(click.Command):
    """Every subcommand takes the global options too (after its name)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_params())


class _SubGroup(click.Group):
    command_class = _Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_params())


def _global_params() -> list[click.Parameter]:
    holder = global_options(lambda: 0)
    return list(getattr(holder, "__click_params__", []))


GhlopsGroup.command_class = _Command
GhlopsGroup.group_class = _SubGroup


@click.group("ghlops", cls=GhlopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ghlops")
@global_options
@click.pass_context
def main(ctx: click.Context) -> None:
    """GoHighLevel sub-account configuration as code: validate, plan and apply YAML manifests."""
    meta = ctx.find_root().meta
    if _DEBUG_HANDLER not in meta:
        # Warnings (a live object ghlops left alone) are one line each on stderr, whatever else is logged.
        warnings = _EchoWarnings()
        ghlops_logger = logging.getLogger("ghlops")
        ghlops_logger.addHandler(warnings)
        meta[_WARNINGS_HANDLER] = warnings
        ctx.call_on_close(lambda: ghlops_logger.removeHandler(warnings))


class _ScrubbingFormatter(logging.Formatter):
    """--debug lines with every known secret masked (ghlops.redact), whatever a message holds."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _EchoWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(scrub(record.getMessage()), err=True)


@main.command()
@paths_argument
@click.option(
    "--offline",
    is_flag=True,
    help="Check the manifests alone: no tokens needed, unset ${VARS} left as written (pre-commit, forks).",
)
@_boundary
def validate(paths: tuple[str, ...], offline: bool) -> int:
    """Check manifests completely without calling the GHL API."""
    from ghlops.commands.validate import validate as run

    return run(paths, env=dict(os.environ), io=_io(), offline=offline)


@main.command()
@paths_argument
@location_option
@shard_option
@parallelism_option
@max_delete_option
@max_update_option
@max_contacts_option
@no_impact_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 2 when changes are planned.")
@format_option
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Save the plan here for apply --plan.")
@_boundary
def plan(
    paths: tuple[str, ...],
    locations: tuple[str, ...],
    shard: Shard | None,
    parallelism: int | None,
    max_delete_percent: float,
    max_update_percent: float,
    max_contacts_affected: int | None,
    no_impact: bool,
    detailed_exitcode: bool,
    fmt: str,
    out: str | None,
) -> int:
    """Show the changes that would bring live locations in line with the manifests."""
    from ghlops.commands.plan import plan_command

    return plan_command(
        paths,
        locations=locations,
        detailed_exitcode=detailed_exitcode,
        settings=_settings(parallelism, max_delete_percent, max_contacts_affected, max_update_percent),
        io=_io(),
        fmt=fmt,
        out=out,
        shard=str(shard) if shard else None,
        impact=not no_impact,
    )


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@location_option
@shard_option
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), multiple=True,
    help="Apply exactly this saved plan (from plan --out); refused if the manifests or live state changed since.",
)  # fmt: skip
@click.option("--confirm", is_flag=True, help="With --plan: ask before applying (a saved plan is its own approval).")
@click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="SECONDS",
    help="Wait this long for a location another apply holds (its lock); 0 fails at once, naming the holder.",
)  # fmt: skip
@parallelism_option
@max_delete_option
@max_update_option
@max_contacts_option
@no_impact_option
@click.option("--allow-mass-delete", is_flag=True, help="Apply even when the mass-change guard trips.")
@click.option("--allow-mass-update", is_flag=True, help="Apply even when the mass-update guard trips.")
@click.option("--allow-mass-change", is_flag=True, help="Both --allow-mass-delete and --allow-mass-update.")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None, help="Append a JSON-lines run log here.")
@_boundary
def apply(
    paths: tuple[str, ...],
    locations: tuple[str, ...],
    shard: Shard | None,
    plan_file: tuple[str, ...],
    confirm: bool,
    lock_timeout: float,
    parallelism: int | None,
    max_delete_percent: float,
    max_update_percent: float,
    max_contacts_affected: int | None,
    no_impact: bool,
    allow_mass_delete: bool,
    allow_mass_update: bool,
    allow_mass_change: bool,
    auto_approve: bool,
    log_file: str | None,
) -> int:
    """Plan, then make the changes (asks first unless --auto-approve); or apply a saved plan with --plan."""
    from ghlops.commands.apply import apply_command

    return apply_command(
        paths,
        locations=locations,
        auto_approve=auto_approve,
        settings=_settings(parallelism, max_delete_percent, max_contacts_affected, max_update_percent),
        io=_io(),
        log_file=log_file,
        allow_mass_delete=allow_mass_delete or allow_mass_change,
        allow_mass_update=allow_mass_update or allow_mass_change,
        plan_file=plan_file or None,
        shard=str(shard) if shard else None,
        impact=not no_impact,
        confirm=confirm,
        lock_timeout=lock_timeout,
    )


@main.command("force-unlock")
@click.argument("location")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@_boundary
def force_unlock(location: str, paths: tuple[str, ...]) -> int:
    """Remove LOCATION's apply lock (name or glob in the manifests under PATHS) when its holder is known to be gone."""
    from ghlops.commands.unlock import force_unlock_command

    return force_unlock_command(paths, locations=(location,), settings=_settings(None), io=_io())


@main.command()
@click.argument("plan_files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@format_option
@_boundary
def show(plan_files: tuple[str, ...], fmt: str) -> int:
    """Render saved plans (several: the shards of one run, as one plan) without calling the GHL API."""
    from ghlops.commands.show import show_command

    return show_command(plan_files, fmt=fmt, io=_io())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--db", type=click.Path(dir_okay=False), default=":memory:", show_default=True, help="SQLite file.")
@click.option("--seed", "seed", multiple=True, type=click.Path(exists=True), help="Manifests to make live state.")
@click.option("--latency-ms", type=float, default=0.0, help="Delay added to every answer.")
@click.option("--fail-rate", type=float, default=0.0, help="Share of requests answered with a random 5xx.")
@click.option("--reset-rate", type=float, default=0.0, help="Share of requests whose connection is reset unanswered.")
@click.option(
    "--ambiguous-rate", type=float, default=0.0, help="Share of creates (POST) done but whose answer is lost."
)
@click.option("--rate-limit", is_flag=True, help="Enforce GHL's 100 requests / 10 s window per location.")
@click.option("--fault-seed", type=int, default=0, help="Seed for the random faults.")
@click.option(
    "--token-ttl", type=float, default=86399.0, show_default=True, help="Seconds an OAuth access token lives."
)
@_boundary
def sandbox(
    host: str,
    port: int,
    db: str,
    seed: tuple[str, ...],
    latency_ms: float,
    fail_rate: float,
    reset_rate: float,
    ambiguous_rate: float,
    rate_limit: bool,
    fault_seed: int,
    token_ttl: float,
) -> int:
    """Run the GHL API emulator on this machine (every location its own token, an agency PIT, an OAuth app)."""
    from ghlops.commands.sandbox import sandbox_command

    return sandbox_command(
        host=host, port=port, db=db, seed=seed, latency_ms=latency_ms, fail_rate=fail_rate,
        reset_rate=reset_rate, ambiguous_rate=ambiguous_rate, rate_limit=rate_limit, fault_seed=fault_seed,
        token_ttl=token_ttl, io=_io(),
    )  # fmt: skip


@main.group()
def auth() -> None:
    """Agency OAuth credentials: log in, show what a run would use, refresh, log out."""


@auth.command("login")
@click.option("--client-id", default=None, help="The Marketplace app's client id (default GHL_OAUTH_CLIENT_ID).")
@click.option("--white-label", is_flag=True, help="Authorise on the white-label marketplace.leadconnectorhq.com.")
@click.option("--port", type=int, default=8976, show_default=True, help="Loopback port of the redirect URL.")
@_boundary
def auth_login(client_id: str | None, white_label: bool, port: int) -> int:
    """Authorise the app for the agency in a browser; stores client id, secret and refresh token (0600).

    The client secret is read from GHL_OAUTH_CLIENT_SECRET or a prompt, never from a flag."""
    from ghlops.commands.auth import auth_login as login

    def prompt(text: str, hidden: bool) -> str:
        return str(click.prompt(text, hide_input=hidden, err=True))

    return login(env=dict(os.environ), io=_io(), client_id=client_id, white_label=white_label, port=port, prompt=prompt)


@auth.command("status")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_boundary
def auth_status(paths: tuple[str, ...]) -> int:
    """Which credentials are configured and, given manifests, where each location's token comes from."""
    from ghlops.commands.auth import auth_status as status

    return status(env=dict(os.environ), io=_io(), paths=paths)


@auth.command("refresh")
@click.option(
    "--access-token-file", default=None, metavar="PATH", help="Also write the fresh access token here (0600)."
)
@_boundary
def auth_refresh(access_token_file: str | None) -> int:
    """Refresh the agency access token now and save the rotated refresh token (the CI refresh job)."""
    from ghlops.commands.auth import auth_refresh as refresh

    return refresh(env=dict(os.environ), io=_io(), access_token_file=access_token_file)


@auth.command("logout")
@_boundary
def auth_logout() -> int:
    """Remove the credentials `ghlops auth login` stored."""
    from ghlops.commands.auth import auth_logout as logout

    return logout(env=dict(os.environ), io=_io())


@main.command()
@_boundary
def demo() -> int:
    """Run validate -> plan -> apply -> plan against an embedded sandbox (no token or network needed)."""
    from ghlops.commands.demo import demo_command

    return demo_command(io=_io())


@main.command()
@paths_argument
@location_option
@parallelism_option
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when pull would change a manifest (drift jobs).")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff instead of writing them.")
@_boundary
def pull(paths: tuple[str, ...], locations: tuple[str, ...], parallelism: int | None, check: bool, diff: bool) -> int:
    """Write the live values of the fields the manifests manage back into them (refresh-only)."""
    from ghlops.commands.pull import pull_command

    return pull_command(paths, locations=locations, check=check, diff=diff, settings=_settings(parallelism), io=_io())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_boundary
def locations(paths: tuple[str, ...]) -> int:
    """List the company's locations (agency token): which a manifest in PATHS names, which have a token."""
    from ghlops.commands.locations import locations_command

    return locations_command(paths, settings=_settings(None), io=_io())


@main.command(name="fmt")
@paths_argument
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 listing the files that would change (CI, pre-commit)."
)
@_boundary
def fmt_(paths: tuple[str, ...], check: bool) -> int:
    """Rewrite manifests in canonical form (export's key order, indentation and quoting), keeping their meaning."""
    from ghlops.commands.fmt import fmt_command

    return fmt_command(paths, check=check, io=_io())


# -- adopt and reuse: export, clone, render, schema ------------------------------------------------------------

kinds_option = click.option(
    "--kinds",
    "kinds",
    multiple=True,
    metavar="LIST",
    help=f"Only these sections, comma-separated ({', '.join(section_names())}).",
)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None, help="Write here, not stdout."
)
force_option = click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")


@main.command()
@click.option(
    "--location-id", "location_ids", multiple=True, metavar="ID",
    help="The live location (sub-account) to read; repeatable (several need -d DIR).",
)  # fmt: skip
@click.option(
    "--all", "all_locations", is_flag=True, help="Every location of the company (agency token), one file each in -d."
)
@click.option(
    "-d", "--directory", type=click.Path(file_okay=False, path_type=str), default=None,
    help="Write one manifest per location here (file names from the location names).",
)  # fmt: skip
@click.option("--name", default=None, help="metadata.name of the manifest (default: from the location's name).")
@kinds_option
@output_option
@click.option("--force", is_flag=True, help="Overwrite the --output file (or the files in -d) if they exist.")
@click.option("--full", is_flag=True, help="Write values equal to GHL's defaults too, so drift on them shows.")
@click.option("--token-env", default=None, metavar="VAR", help="Read with this variable's token (default GHL_TOKEN).")
@_boundary
def export(
    location_ids: tuple[str, ...],
    all_locations: bool,
    directory: str | None,
    name: str | None,
    kinds: tuple[str, ...],
    output: str | None,
    force: bool,
    full: bool,
    token_env: str | None,
) -> int:
    """Write live locations as manifests (adopt existing sub-accounts): plan on them shows no changes."""
    from ghlops.commands.export import export_command

    if all_locations and location_ids:
        raise click.UsageError("--all and --location-id are mutually exclusive", click.get_current_context())
    if not all_locations and not location_ids:
        raise click.UsageError("pass --location-id ID (repeatable) or --all", click.get_current_context())
    return export_command(
        location_ids=location_ids, all_locations=all_locations, directory=directory, name=name, kinds=kinds,
        output=output, force=force, full=full, token_env=token_env, settings=_settings(None), io=_io(),
    )  # fmt: skip


@main.command()
@click.option("--from-location-id", required=True, help="The live location to copy the setup from.")
@click.option("--to-location-id", default=None, help="The location the manifest is for.")
@click.option("--name", default=None, help="metadata.name of the new location's manifest.")
@click.option("--as-template", default=None, metavar="NAME", help="Write the setup as a Template named NAME.")
@kinds_option
@output_option
@force_option
@click.option("--from-token-env", default=None, metavar="VAR", help="Token variable for reading the source.")
@click.option("--token-env", default=None, metavar="VAR", help="spec.tokenEnv of the new location's manifest.")
@_boundary
def clone(
    from_location_id: str,
    to_location_id: str | None,
    name: str | None,
    as_template: str | None,
    kinds: tuple[str, ...],
    output: str | None,
    force: bool,
    from_token_env: str | None,
    token_env: str | None,
) -> int:
    """Write a manifest for one location from another's live setup (then plan and apply it as usual)."""
    from ghlops.commands.clone import clone_command

    return clone_command(
        from_location_id=from_location_id, to_location_id=to_location_id, name=name, as_template=as_template,
        kinds=kinds, output=output, force=force, from_token_env=from_token_env, token_env=token_env,
        settings=_settings(None), io=_io(),
    )  # fmt: skip


@main.command()
@paths_argument
@click.option(
    "--location", "locations", required=True, multiple=True, metavar="NAME",
    help="The Location document to render (name or glob, as plan's); repeatable.",
)  # fmt: skip
@output_option
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@_boundary
def render(paths: tuple[str, ...], locations: tuple[str, ...], output: str | None, force: bool) -> int:
    """Print locations with their templates merged and vars substituted (valid input for validate)."""
    from ghlops.commands.render import render_command

    return render_command(paths, location=locations, output=output, env=dict(os.environ), io=_io(), force=force)


@main.command()
@output_option
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@_boundary
def schema(output: str | None, force: bool) -> int:
    """Print (or write with -o) the JSON Schema of manifests, for editor completion and checks."""
    from ghlops.commands.schema import schema_command

    return schema_command(output=output, io=_io(), force=force)


if __name__ == "__main__":  # pragma: no cover
    main()
