"""The `quorum` command: run (default), export, import, catchup, recount, reindex, publish, forget,
check, demo, web. Exit codes: 0 ok, 2 bad configuration or arguments (a token Discord refuses, a database that cannot
be used, is damaged or is in use by another Quorum), 1 anything else. Each failure is one line on
stderr; the traceback goes to the log only at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from dotenv import find_dotenv, load_dotenv

from bot.config import ConfigError, load_settings
from bot.logs import setup_logging
from db.connection import DatabaseUnusable

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its one-line style
        self.print_usage(sys.stderr)
        print(f"quorum: {message}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="quorum", description="Quorum: a Q&A forum living in Discord threads.")
    parser.add_argument("--version", action="version", version=f"quorum {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (the default)")
    export = commands.add_parser("export", help="print the forum as JSON")
    export.add_argument("--guild", type=_snowflake, help="only this guild (server) id")
    export.add_argument("--out", help="write to this file instead of standard output")
    load = commands.add_parser("import", help="load an export (quorum-export/2) into the store, newer rows winning")
    load.add_argument("file", help="the export's JSON file")
    load.add_argument("--guild", type=_snowflake, help="only this guild (server) id of the file")
    catchup = commands.add_parser("catchup", help="mirror what happened in watched channels while the bot was away")
    catchup.add_argument(
        "--days", type=_days, help="read archived threads this many days back instead of since the last catch-up"
    )
    recount = commands.add_parser(
        "recount",
        help="rebuild scores from the votes, and reputation by replaying votes and acceptances in time order "
        "(never below 1 at any moment), and report differences",
    )
    recount.add_argument("--fix", action="store_true", help="write the recounted values where they differ")
    commands.add_parser("reindex", help="rebuild the search index from the store (the bot may keep running)")
    publish = commands.add_parser(
        "publish",
        help="publish a questions channel on the web pages (Manage Server's `/quorum web` without Discord)",
    )
    publish.add_argument("--guild", type=_snowflake, required=True, help="the guild (server) id")
    publish.add_argument("--channel", type=_snowflake, required=True, help="the forum or text channel id")
    publish.add_argument("--off", action="store_true", help="take the channel's pages down instead")
    forget = commands.add_parser(
        "forget",
        help="erase a member's data in a guild (what `/privacy forget` does), for a request made by mail",
    )
    forget.add_argument("--guild", type=_snowflake, required=True, help="the guild (server) id")
    forget.add_argument("--member", type=_snowflake, required=True, help="the member's user id")
    commands.add_parser("check", help="check the whole database for damage (start-up checks only its first part)")
    demo = commands.add_parser(
        "demo", help="play a scripted forum thread through the bundled emulator; no token needed"
    )
    demo.add_argument(
        "--web", action="store_true", help="then publish the demo's channel and serve its thread's page until Ctrl-C"
    )
    demo.add_argument("--bind", type=_bind, help="HOST:PORT for --web (default 127.0.0.1:8080; port 0: any free port)")
    web = commands.add_parser("web", help="serve the published questions as web pages (read-only, no token needed)")
    web.add_argument(
        "--bind", type=_bind, help="HOST:PORT to listen on (default: QUORUM_WEB_BIND, else 127.0.0.1:8080)"
    )
    web.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)  # as `quorum run`'s child
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.bind is not None and not args.web:
        parser.error("--bind goes with --web (quorum demo --web --bind HOST:PORT)")
    # The .env of the directory quorum is started from, not of the installed package.
    load_dotenv(find_dotenv(usecwd=True))
    try:
        if args.command == "demo":
            from bot.demo import run_demo
            from bot.web_cli import DEFAULT_BIND

            try:
                return asyncio.run(run_demo(web_bind=(args.bind or DEFAULT_BIND) if args.web else None))
            except KeyboardInterrupt:  # Ctrl-C is how `demo --web` ends
                return EXIT_OK
        settings = load_settings(os.environ, require_token=args.command in (None, "run", "catchup"))
    except ConfigError as exc:
        print(f"quorum: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, [settings.token])
    try:
        if args.command == "export":
            from bot.export import export_command

            return export_command(settings, guild_id=args.guild, out=args.out)
        if args.command == "import":
            from bot.import_cli import import_command

            return import_command(settings, file=args.file, guild_id=args.guild)
        if args.command == "recount":
            from bot.recount_cli import recount_command

            return recount_command(settings, fix=args.fix)
        if args.command == "reindex":
            from bot.reindex_cli import reindex_command

            return reindex_command(settings)
        if args.command == "forget":
            from bot.forget_cli import forget_command

            return forget_command(settings, guild_id=args.guild, member_id=args.member)
        if args.command == "publish":
            from bot.publish_cli import publish_command

            return publish_command(settings, guild_id=args.guild, channel_id=args.channel, off=args.off)
        if args.command == "catchup":
            return asyncio.run(_catchup(settings, args.days))
        if args.command == "check":
            return _check(settings)
        if args.command == "web":
            return asyncio.run(_web(settings, args.bind, args.exit_with_parent))
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:  # one clear line for people; the traceback only when debugging
        logging.getLogger("quorum").debug("Quorum stopped", exc_info=True)
        print(f"quorum: {_describe(exc)}", file=sys.stderr)
        return EXIT_CONFIG if _is_configuration(exc) else EXIT_FAILURE


async def _run(settings) -> int:
    from bot.app import QuorumApp

    # SIGTERM (a service manager stopping us) ends the bot as Ctrl-C does: everything is closed.
    main_task = asyncio.current_task()
    assert main_task is not None
    terminated = asyncio.Event()

    def terminate() -> None:
        terminated.set()
        main_task.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, terminate)
    app, child = QuorumApp(settings), None
    try:
        await app.start()
        if settings.web_bind is not None:
            # Once the bot has the database (created and migrated), so the web server can read it.
            from bot.web_child import WebChild

            child = WebChild(settings)
            await child.start()
        assert app.task is not None
        await app.task
    except asyncio.CancelledError:
        if not terminated.is_set():
            raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        try:
            if child is not None:
                await child.stop()
        finally:
            await app.close()
    return EXIT_OK


async def _web(settings, bind: tuple[str, int] | None, exit_with_parent: bool) -> int:
    from bot.web_cli import DEFAULT_BIND, run_web

    host, port = bind or settings.web_bind or DEFAULT_BIND
    await run_web(settings, host, port, exit_with_parent=exit_with_parent)
    return EXIT_OK


async def _catchup(settings, days: float | None) -> int:
    from bot.catchup_cli import run_catchup

    progress = await run_catchup(settings, days=days)
    print(progress.summary())
    return EXIT_OK if not progress.threads_failed else EXIT_FAILURE


def _check(settings) -> int:
    from db.integrity import check_integrity

    if not settings.database_path.exists():
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return EXIT_CONFIG
    checked = check_integrity(settings.database_path, budget=None)  # raises DatabaseDamaged
    print(f"The database {settings.database_path} is not damaged (checked in {checked.seconds:.1f} s).")
    return EXIT_OK


def _is_configuration(exc: Exception) -> bool:
    import discord

    # A token Discord refuses (401) or intents it refuses are fixed in the configuration too.
    return isinstance(exc, DatabaseUnusable | discord.LoginFailure | discord.PrivilegedIntentsRequired)


def _describe(exc: Exception) -> str:
    import aiohttp
    import discord

    if isinstance(exc, DatabaseUnusable):  # DATABASE_URL names something that is not (or no longer) usable
        return str(exc)
    if isinstance(exc, discord.LoginFailure):
        return "Discord refused the token (401): reset it in the developer portal and update DISCORD_TOKEN."
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "Discord refused the privileged intents: enable Message Content and Server Members under "
            "Bot -> Privileged Gateway Intents in the developer portal."
        )
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot reach Discord: the name {exc.host} does not resolve (no network, or DNS is down?)."
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot reach Discord at {exc.host}:{exc.port}: {_reason(exc)} (no network, or a firewall?)."
    if isinstance(exc, aiohttp.ClientError | TimeoutError | ConnectionError):
        return f"the connection to Discord failed: {_reason(exc)}."
    return f"{type(exc).__name__}: {exc}"


def _reason(exc: BaseException) -> str:
    cause = getattr(exc, "os_error", None) or exc
    if isinstance(cause, OSError) and cause.errno:
        return os.strerror(cause.errno).lower()  # "connection refused", not asyncio's wording
    return str(cause) or type(cause).__name__


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("quorum")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _snowflake(value: str) -> int:
    from bot.forum.errors import BadInput
    from bot.forum.ids import parse_snowflake

    try:
        return parse_snowflake(value, what="a numeric Discord id")
    except BadInput as exc:
        raise argparse.ArgumentTypeError(exc.message.replace("`", "")) from None


def _bind(value: str) -> tuple[str, int]:
    from bot.config import parse_bind

    try:
        return parse_bind(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError("--days must be more than 0 and at most 3650")
    return days


if __name__ == "__main__":
    sys.exit(main())
