"""The `cuecast` command. `cuecast --help` lists the subcommands; each has its own --help."""

from __future__ import annotations

import argparse
import getpass
import logging
import logging.config
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger("cuecast.cli")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuecast.settings")
    import django

    django.setup()


def cmd_migrate(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    _django()
    import uvicorn

    from cuecast import config

    settings = config.load()
    uvicorn.run(
        "cuecast.asgi:application",
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="warning",
        access_log=False,
        log_config=None,  # uvicorn's lines go through Cuecast's handler: its format, redacted
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _django()
    from cuecast.publishing import dispatcher, worker

    if args.metrics_port is not None:
        from cuecast.publishing import metrics

        try:
            server = metrics.serve(args.metrics_port)
        except OSError as exc:
            raise SystemExit(
                f"The worker cannot serve its metrics on port {args.metrics_port}: {exc.strerror}."
            ) from exc
        host, port = server.server_address[:2]
        log.info("worker metrics at http://%s:%s/metrics", host, port)
    if args.once:
        print(f"{dispatcher.run_until_idle()} targets handled.")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.run_all(stop)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from cuecast import config
    from sandbox.server import serve

    serve(args.host, args.port or config.load().sandbox_port)
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _django()
    from cuecast.accounts.models import Role, User, Workspace
    from cuecast.accounts.services import Actor, add_member

    password = args.password or getpass.getpass(f"Password for {args.username}: ")
    if User.objects.filter(username=args.username).exists():
        print(f"There is already a user called “{args.username}”.", file=sys.stderr)
        return 2
    user = User.objects.create_user(args.username, email=args.email or "", password=password)
    if args.workspace:
        workspace = Workspace.objects.filter(slug=args.workspace).first()
        if workspace is None:
            print(f"There is no workspace “{args.workspace}”.", file=sys.stderr)
            return 2
        add_member(Actor(workspace, Role.OWNER), user=user, role=Role(args.role))
    print(f"Created user {user.username}.")
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    _django()
    from cuecast.accounts.models import Role, Workspace
    from cuecast.accounts.services import Actor, create_api_key

    workspace = Workspace.objects.filter(slug=args.workspace).first()
    if workspace is None:
        print(f"There is no workspace “{args.workspace}”.", file=sys.stderr)
        return 2
    _, plaintext = create_api_key(
        Actor(workspace, Role.OWNER), name=args.name, role=Role(args.role)
    )
    print(plaintext)
    print("Keep this key now: it is shown once and stored only as a hash.", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _django()
    from cuecast import config
    from cuecast.accounts.demo import ensure_demo_user, ensure_demo_workspace

    workspace = ensure_demo_workspace(config.load().sandbox_url)
    login = ensure_demo_user()
    print(
        f"Demo workspace “{workspace.slug}” is ready. Sign in as {login.username} / {login.password}"
    )
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    _django()
    from cuecast.channels.models import Channel, OAuthClient

    count = 0
    for model in (Channel, OAuthClient):
        for row in model.objects.all():
            row.save()  # decrypts with any configured key, encrypts with the first
            count += 1
    print(f"Re-encrypted the secrets of {count} rows with the first key.")
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    """Switch a network off or on for every workspace (docs/operations.md), or list the switches."""
    _django()
    from cuecast.channels.switches import SwitchRefused, switch_network, switches

    if args.network_command == "list":
        for key, switch in switches().items():
            state = "on" if switch.enabled else f"OFF ({switch.reason})"
            print(f"{key:<10} {state}")
        return 0
    enabled = args.network_command == "on"
    try:
        result = switch_network(args.key, enabled=enabled, reason=args.reason)
    except SwitchRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    if enabled:
        print(
            f"{args.key} is on: {result.released} posts released, {result.skipped} skipped as too "
            f"late, {result.still_held} still held for another reason."
        )
    else:
        print(f"{args.key} is off: {result.held} posts held.")
    return 0


def _start_sandbox_thread(port: int) -> Callable[[], None]:
    import uvicorn

    from sandbox.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, name="sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"The sandbox could not start on port {port}. Is the port in use?")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)

    return stop


def cmd_run(args: argparse.Namespace) -> int:
    """Everything in one foreground process: sandbox, worker and web. Ctrl-C stops all."""
    from cuecast import config

    settings = config.load()
    cmd_migrate(argparse.Namespace(verbosity=0))
    stop_sandbox: Callable[[], None] = lambda: None  # noqa: E731
    if settings.sandbox_enabled:
        stop_sandbox = _start_sandbox_thread(settings.sandbox_port)
        from cuecast.accounts.demo import ensure_demo_user, ensure_demo_workspace

        ensure_demo_workspace(settings.sandbox_url)
        login = ensure_demo_user()
    from cuecast.publishing import worker

    stop_worker = threading.Event()
    worker_thread = threading.Thread(
        target=worker.run_all, args=(stop_worker,), name="worker", daemon=True
    )
    worker_thread.start()
    print(f"\n  Cuecast is running at {settings.public_url}/")
    if settings.sandbox_enabled:
        print(f"  Sign in as: {login.username} / {login.password}")
        print(f"  Sandbox networks at {settings.sandbox_url} (docs/sandbox.md)")
    print("  Press Ctrl-C to stop.\n", flush=True)
    try:
        cmd_web(argparse.Namespace(host=None, port=None))
    finally:
        stop_worker.set()
        worker_thread.join(timeout=10)
        stop_sandbox()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cuecast",
        description="Cuecast: your own posts, on cue with your paid campaigns, exactly once.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, "Start web, worker and sandbox in one process (the embedded defaults).")
    web = add("web", cmd_web, "Serve the web UI and the REST API.")
    web.add_argument("--host", default=None, help="address to listen on (CUECAST_HOST)")
    web.add_argument("--port", type=int, default=None, help="port to listen on (CUECAST_PORT)")
    worker = add(
        "worker", cmd_worker, "Publish due posts; run as many as you like against one database."
    )
    worker.add_argument("--once", action="store_true", help="handle what is due now, then exit")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this worker's Prometheus metrics on this port (address: CUECAST_METRICS_HOST)",
    )
    sandbox = add("sandbox", cmd_sandbox, "Serve the emulated networks (docs/sandbox.md).")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=None, help="default CUECAST_SANDBOX_PORT")
    migrate = add("migrate", cmd_migrate, "Create or update the database tables.")
    migrate.add_argument("--verbosity", type=int, default=1)
    user = add("createuser", cmd_createuser, "Create a person who can sign in.")
    user.add_argument("username")
    user.add_argument("--email", default="")
    user.add_argument("--password", default="", help="asked for when not given")
    user.add_argument("--workspace", default="", help="slug of a workspace to add them to")
    user.add_argument(
        "--role", default="editor", choices=["owner", "admin", "editor", "approver", "viewer"]
    )
    apikey = sub.add_parser(
        "apikey", help="Manage REST API keys.", description="Manage REST API keys."
    )
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True, metavar="ACTION")
    create = apikey_sub.add_parser(
        "create",
        help="Create a key for a workspace; prints it once.",
        description="Create a key for a workspace; prints it once.",
    )
    create.add_argument("--workspace", required=True, help="the workspace's slug")
    create.add_argument("--name", default="cli", help="a label to recognise the key by")
    create.add_argument(
        "--role", default="editor", choices=["admin", "editor", "approver", "viewer"]
    )
    create.set_defaults(func=cmd_apikey_create)
    add(
        "demo",
        cmd_demo,
        "Create the demo workspace with sandbox channels (the sandbox must be running).",
    )
    network = sub.add_parser(
        "network",
        help="Switch a network off or on for every workspace.",
        description="Switch a network off (its posts are held, with your reason) or on again "
        "(they are released under each workspace's late policy).",
    )
    network_sub = network.add_subparsers(dest="network_command", required=True, metavar="ACTION")
    off = network_sub.add_parser("off", help="Hold every future post to the network.")
    off.add_argument("key", help="the network's key, e.g. x")
    off.add_argument("--reason", required=True, help="shown on every held post")
    on = network_sub.add_parser("on", help="Release the posts held for the network.")
    on.add_argument("key", help="the network's key, e.g. x")
    on.set_defaults(reason="")
    network_sub.add_parser("list", help="Show which networks are switched off.")
    network.set_defaults(func=cmd_network)
    add(
        "rotate-keys",
        cmd_rotate_keys,
        "Re-encrypt stored credentials with the first encryption key.",
    )
    return parser


def _configure_logging() -> None:
    """Cuecast's format (CUECAST_LOG_FORMAT) from the first line, before Django takes over the
    same configuration. Leaves logging alone if someone (a test run) configured it already."""
    if logging.getLogger().handlers:
        return
    from cuecast import config
    from cuecast.logging import logging_config

    try:
        settings = config.load()
    except ValueError as exc:  # a setting Cuecast cannot read: say which, without a traceback
        raise SystemExit(str(exc)) from exc
    logging.config.dictConfig(logging_config(settings.log_level, settings.log_format))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging()
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
