"""`ouroboros serve`: bind, load the configured kernel model with progress, serve until
SIGINT/SIGTERM.

The model is the one `ouroboros run` would load: the [provider] section of the config (and
its OUROBOROS_PROVIDER__* overrides) through daemon.brains.providers.engine_config, whatever
provider.name says. The port is bound before the model loads, so a port already in use
fails in a second, not after the load; connections made during the load wait in the
listen backlog and are answered once the model is ready. Importing this module is cheap
(the CLI's parser reads add_arguments); the server's machinery loads in `serve`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from daemon.errors import CliError
from daemon.host.loopback import is_loopback

DEFAULT_PORT = 11434  # Ollama's: tools that speak to a local Ollama find this one as is
DEFAULT_NAME = "ouroboros"
DEFAULT_QUEUE = 16
GRACEFUL_S = 5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Serve the in-process kernel model (the one [provider] configures, as `ouroboros "
        "run` loads it) over the Ollama API (/api/chat, /api/generate, /api/tags, /api/show),"
        " the OpenAI API (/v1/chat/completions, /v1/models) and the Anthropic Messages API "
        "(/v1/messages), streaming and not. One generation at a time, first come first "
        "served. No authentication: loopback only unless --allow-remote.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; a non-loopback address "
                   "needs --allow-remote)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT}, Ollama's; 0 picks a free one)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --host and Host headers: anyone who can reach "
                   "the port can use the model (there is no authentication)")
    p.add_argument("--model-name", default=DEFAULT_NAME,
                   help=f"the name clients ask for (default {DEFAULT_NAME!r}; "
                   f"'{DEFAULT_NAME}:latest' also answers)")
    p.add_argument("--queue", type=_count, default=DEFAULT_QUEUE,
                   help="requests that may wait for the model behind the running one; more "
                   f"are refused at once with 503 (Anthropic: 529) (default {DEFAULT_QUEUE})")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {port}")
    return port


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= n <= 10_000:
        raise argparse.ArgumentTypeError(f"must be 0 to 10000, not {n}")
    return n


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or CliError saying why not (in use, no such address)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = " (is Ollama or another server running? try --port)" if \
            exc.errno == 98 else ""
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") \
            from None
    return sock


def _settings(args: argparse.Namespace) -> tuple[Path, Any]:
    from daemon.config import locate
    from daemon.config.settings import load_settings
    from daemon.errors import ConfigError

    if not os.path.exists(os.path.expanduser(args.repo)):  # `~nosuchuser` stays as it is
        raise CliError(f"{args.repo} does not exist")
    try:  # the work tree whoever owns it: serving runs no git
        repo = locate.work_tree(args.repo)
    except CliError:  # serving needs no repository: the directory itself holds the config
        repo = Path(os.path.expanduser(args.repo)).resolve()
    try:
        return repo, load_settings(repo, Path(args.config) if args.config else None)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot read the configuration: {exc}") from None


def serve(args: argparse.Namespace) -> int:
    if not args.allow_remote and not is_loopback(args.host):
        raise CliError(f"--host {args.host} is not a loopback address: the API has no "
                       "authentication, so serving other machines needs --allow-remote",
                       code=2)
    repo, settings = _settings(args)
    sock = bind(args.host, args.port)
    try:
        return _run(sock, repo, settings, args)
    finally:
        sock.close()


def _run(sock: socket.socket, repo: Path, settings: Any, args: argparse.Namespace) -> int:
    import uvicorn

    from daemon import logs
    from daemon.serve.app import build_app, serving_config
    from daemon.serve.model import ServedModel
    from daemon.serve.queue import ModelQueue

    logs.configure(settings.daemon.log_level, fmt=settings.daemon.log_format)
    engine = _load(settings, repo)
    queue = ModelQueue(args.queue)
    model = ServedModel(engine, args.model_name, queue, max_tokens=settings.serve.max_tokens,
                        max_share_s=settings.serve.max_share_s)
    app = build_app(model, allow_remote=args.allow_remote)
    config = serving_config(app, log_level="warning", log_config=uvicorn.config.LOGGING_CONFIG,
                            timeout_graceful_shutdown=GRACEFUL_S)
    host, port = sock.getsockname()[:2]
    where = f"[{host}]" if ":" in host else host
    print(f"ouroboros serve: {args.model_name} = {engine.name} ({engine.kind}, "
          f"{engine.total_steps} loop step(s), context {model.context}) on "
          f"http://{where}:{port}  (Ollama /api/*, OpenAI /v1/chat/completions, "
          "Anthropic /v1/messages; Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        _server(uvicorn, config).run(sockets=[sock])
    finally:
        queue.close()  # whatever the graceful period left running stops at its next token
    return 0


def _load(settings: Any, repo: Path) -> Any:
    from daemon.brains.probe import ProgressBar
    from daemon.brains.providers import engine_config
    from kernel.engine import Engine
    from kernel.errors import KernelError

    config = engine_config(settings.provider, repo)
    what = config.model or "the embedded SmolLM2-135M-Instruct (dequantized once, ~20 s)"
    print(f"ouroboros serve: loading {what}...", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        engine = Engine.load(config, progress=ProgressBar("loading"))
    except (KernelError, OSError, ValueError) as exc:
        raise CliError(f"the model could not be loaded: {exc}") from None
    print(f"ouroboros serve: loaded in {time.monotonic() - started:.1f}s", file=sys.stderr,
          flush=True)
    return engine


def _server(uvicorn: Any, config: Any) -> Any:
    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """SIGINT/SIGTERM stop the server (a second SIGINT without the grace period)
            and the command exits 0: uvicorn's own handler re-raises the signal after its
            shutdown, which would end a clean stop with 130 or death by SIGTERM."""
            sigs = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server(config)
