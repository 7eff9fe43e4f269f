"""The ``recognize`` command. Errors map to clear messages and exit codes, never tracebacks."""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from recognize import __version__
from recognize import config as config_mod
from recognize.errors import ConfigError, RecognizeError, StoreError
from recognize.log import configure

console = Console(stderr=True, soft_wrap=True)
out = Console()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    configure(getattr(args, "log_level", None) or "WARNING", rich_console=sys.stderr.isatty())
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except StoreError as exc:
        console.print(f"[red]error:[/] {_store_failure(exc, args) or exc}", highlight=False)
        return exc.exit_code
    except RecognizeError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except Exception as exc:  # a store that cannot be written is a message; a bug is not
        reason = _store_failure(exc, args)
        if reason is None:
            raise
        console.print(f"[red]error:[/] {reason}", highlight=False)
        return StoreError.exit_code


def _store_failure(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The one-line reason when ``exc`` means the store or data directory cannot be written."""
    from recognize.store import health

    settings = getattr(args, "settings", None)
    data_dir = settings.store.data_dir if settings is not None else None
    if isinstance(exc, StoreError):
        return health.describe_store_error(exc, data_dir)
    return health.describe_failure(exc, data_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recognize", description=__doc__)
    parser.add_argument("--version", action="version", version=f"recognize {__version__}")
    parser.add_argument(
        "--config", "-c", help="config file (default: $RECOGNIZE_CONFIG or ./recognize.toml)"
    )
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (default) or ERROR")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("init", help="write a new config with one user and one mount")
    p.add_argument("--photos", required=True, help="folder of photos to index")
    p.add_argument("--user", default="admin", help="user name (default: admin)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--data-dir", default="var", help="data directory, relative to the config")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("config", help="check the config")
    csub = p.add_subparsers(metavar="ACTION")
    c = csub.add_parser("check", help="print the effective config (secrets redacted) or errors")
    c.add_argument("--file", help="config file to check")
    c.set_defaults(func=cmd_config_check)

    p = sub.add_parser("user", help="users")
    usub = p.add_subparsers(metavar="ACTION")
    u = usub.add_parser("hash", help="print the argon2 hash of a password for the config")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u.add_argument("--digest", metavar="NAME",
                   help="print the Digest HA1 for user NAME instead (users.digest_ha1)")
    u.set_defaults(func=cmd_user_hash)

    p = sub.add_parser("scan", help="crawl mounts and index their photos now")
    p.add_argument("--mount", action="append", help="only this mount (repeatable)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("status", help="files, done, failed and queued per mount and stage")
    p.add_argument("--json", action="store_true")
    p.add_argument("--watch", action="store_true", help="refresh every two seconds until Ctrl-C")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("retry", help="put failed photos back in the queue")
    p.add_argument("--mount", action="append")
    p.set_defaults(func=cmd_retry)

    p = sub.add_parser("cluster", help="group each user's faces into persons now")
    p.add_argument("--user", action="append", help="only this user (repeatable)")
    p.add_argument("--full", action="store_true",
                   help="re-cluster every face (names and corrections are kept)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cluster)

    p = sub.add_parser("serve", help="serve the API (and WebDAV) on the configured address")
    p.add_argument("--port", type=int, help="override server.port")
    p.add_argument("--no-worker", action="store_true", help="serve only; no background work")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run only the scheduler and workers (no HTTP)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="write a small set of demo photos into a folder")
    p.add_argument("folder")
    p.set_defaults(func=cmd_demo)
    return parser


def _settings(args: argparse.Namespace) -> config_mod.Settings:
    args.settings = config_mod.load(args.config)  # kept for the error messages in main()
    return args.settings


def _open_store(settings: config_mod.Settings) -> Any:
    """Check that the data directory takes a write (clear message if not), then open."""
    from recognize.store.health import require_data_dir
    from recognize.store.opening import open_store

    require_data_dir(settings.store.data_dir)
    return open_store(settings)


# --- commands ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    import tomli_w

    from recognize.passwords import hash_password

    path = Path(args.config or config_mod.DEFAULT_CONFIG)
    if path.exists():
        console.print(f"{path} exists already; nothing written")
        return 0
    password = secrets.token_urlsafe(12)
    photos = Path(args.photos).expanduser().resolve()
    if not photos.is_dir():
        raise ConfigError([f"--photos: folder {photos} does not exist"])
    data = {
        "server": {"host": "127.0.0.1", "port": args.port},
        "store": {"data_dir": args.data_dir},
        "users": [{"name": args.user, "password_hash": hash_password(password), "admin": True}],
        "mounts": [{"name": photos.name or "photos", "path": str(photos), "owners": [args.user]}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# written by `recognize init`; every key is documented in "
        "config/recognize.example.toml\n" + tomli_w.dumps(data)
    )
    path.chmod(0o600)
    (path.parent / f".{path.stem}.credentials").write_text(f"{args.user}:{password}\n")
    (path.parent / f".{path.stem}.credentials").chmod(0o600)
    out.print(f"wrote {path}: user [bold]{args.user}[/], password [bold]{password}[/]")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    from recognize.jobs.config_check import check  # also reads the files the config names

    settings = check(args.file or args.config)
    out.print_json(json.dumps(config_mod.redacted(settings)))
    return 0


def cmd_user_hash(args: argparse.Namespace) -> int:
    from recognize.passwords import hash_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            raise ConfigError(["the two passwords differ"])
    if len(password) < 8:
        raise ConfigError(["a password needs at least 8 characters"])
    if args.digest:
        import hashlib

        print(hashlib.md5(f"{args.digest}:recognize:{password}".encode()).hexdigest())
        return 0
    print(hash_password(password))
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from recognize.jobs.limits import apply_thread_limits

    settings = _settings(args)
    apply_thread_limits(settings)  # before numpy, pyvips and OpenVINO load
    from recognize.cli_progress import run_scan

    return run_scan(settings, _open_store(settings), args.mount, as_json=args.json)


def cmd_status(args: argparse.Namespace) -> int:
    from recognize.cli_progress import show_status
    from recognize.store.opening import open_store

    settings = _settings(args)
    return show_status(settings, open_store(settings), as_json=args.json, watch=args.watch)


def cmd_retry(args: argparse.Namespace) -> int:
    from recognize.jobs.stages import stage_names
    from recognize.store import queue as queue_store
    from recognize.store.opening import sync_accounts

    settings = _settings(args)
    store = _open_store(settings)
    refs = sync_accounts(settings, store)
    names = args.mount or list(refs)
    for name in names:
        settings.mount(name)
    with store.session() as session:
        # a photo fails as a whole (all its claimed stages): every enabled stage runs again
        n = queue_store.retry_failed(session, [refs[n].id for n in names], stage_names(settings))
    out.print(f"{n} failed photo(s) queued again; run `recognize scan` or let the worker run")
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from recognize.jobs.limits import apply_thread_limits

    settings = _settings(args)
    apply_thread_limits(settings)
    from recognize.jobs.persons import cluster_user, person_owners_of

    store = _open_store(settings)
    users = args.user or [u.name for u in settings.users]
    known = {u.name for u in settings.users}
    for user in users:
        if user not in known:
            raise ConfigError([f"no user named {user!r}{config_mod.did_you_mean(user, known)}"])
    summaries = [cluster_user(settings, store, u, full=True if args.full else None)
                 for u in person_owners_of(store, users)]
    if args.json:
        print(json.dumps([vars(s) for s in summaries]))
        return 0
    table = Table(title="persons")
    columns = ("user", "faces", "persons", "named", "created", "changed", "unassigned", "full",
               "seconds")
    for col in columns:
        table.add_column(col, justify="left" if col == "user" else "right")
    for s in summaries:
        table.add_row(*(str(getattr(s, c)) for c in columns))
    out.print(table)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from recognize.wsgi import serve

    settings = _settings(args)
    if args.port:
        settings.server.port = args.port
    if args.no_worker:
        settings.server.worker = False
    configure(args.log_level or settings.server.log_level, rich_console=sys.stderr.isatty())
    return serve(settings)


def cmd_worker(args: argparse.Namespace) -> int:
    from recognize.wsgi import run_worker

    settings = _settings(args)
    configure(args.log_level or settings.server.log_level, rich_console=sys.stderr.isatty())
    return run_worker(settings)


def cmd_demo(args: argparse.Namespace) -> int:
    from recognize.demo import write_demo_photos

    written = write_demo_photos(Path(args.folder))
    out.print(f"wrote {len(written)} demo photos to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
