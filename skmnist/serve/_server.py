"""Serve the application with uvicorn, on 127.0.0.1 unless told otherwise."""

import ipaddress
import socket
import sys

__all__ = ["run_server"]


def run_server(
    app,
    *,
    host="127.0.0.1",
    port=8000,
    access_log=False,
    on_ready=None,
):
    """Serve ``app`` with uvicorn until interrupted (Ctrl+C or SIGTERM).

    The socket is bound and listening before ``on_ready`` is called, so that a
    client may connect at once; port 0 picks a free port.

    Parameters
    ----------
    app : ASGI application
        Usually from :func:`skmnist.serve.create_app`.
    host : str, default="127.0.0.1"
        Address to listen on. The default accepts connections from this machine
        only. Any other address exposes the model to the network, with no
        authentication: see the "Exposing the server" section of the docs.
    port : int, default=8000
        TCP port; 0 picks a free one.
    access_log : bool, default=False
        Log one line per request (the page sends one per stroke as you draw).
    on_ready : callable, default=None
        Called with the URL (``"http://127.0.0.1:8000/"``) once the socket listens;
        by default the URL is printed.

    Raises
    ------
    OSError
        If the address cannot be bound (port in use, unknown host...).
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info" if access_log else "warning",
        lifespan="off",
        server_header=False,
    )
    sock = _listen(host, port, config.backlog)  # connections queue from now on
    url = _url(host, sock.getsockname()[1])
    if on_ready is None:
        print(f"serving on {url} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    else:
        on_ready(url)
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host, port, backlog):
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}: unknown address ({exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port "
            "or --host"
        ) from None
    return sock


def _url(host, port):
    shown = host
    try:
        if ipaddress.ip_address(host).version == 6:
            shown = f"[{host}]"
    except ValueError:  # a name, e.g. localhost
        pass
    return f"http://{shown}:{port}/"


def is_loopback(host):
    """Whether ``host`` is reachable from this machine only (127.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
