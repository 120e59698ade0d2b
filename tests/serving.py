"""Serving an app in a thread on a free port, for tests and the UI measuring script."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Literal

import uvicorn
from fastapi import FastAPI


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve_in_thread(
    app: FastAPI, host: str, port: int, log_level: Literal["warning", "info"] = "warning"
) -> RunningServer:
    """Run `app` with uvicorn in a daemon thread (tests and the measuring script)."""
    # Clients such as gradio_client keep event streams open: do not wait long for them.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.05)
    return RunningServer(f"http://{host}:{port}", server, thread)
