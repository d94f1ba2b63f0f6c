"""A real HTTP receiver on 127.0.0.1 for the webhook tests and bench: each path answers by a script."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """What the receiver does with one request: wait, then answer with a status."""

    status: int = 200
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Scripts per path (the last answer repeats) and every request received, in order."""

    base_url: str = ""
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, path: str, *answers: Answer) -> str:
        with self.lock:
            self.scripts[path] = list(answers) or [Answer()]
        return self.base_url + path

    def answer_for(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self.lock:
            self.received.append(Received(path, headers, body, time.monotonic()))
            script = self.scripts.get(path) or [Answer(404)]
            return script.pop(0) if len(script) > 1 else script[0]

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            answer = state.answer_for(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if answer.delay:
                time.sleep(answer.delay)
            reply = f"answer {answer.status}".encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the client gave up waiting (a timeout under test)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
