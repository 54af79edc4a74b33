"""A stand-in for api.twilio.com on loopback, so tests and the benchmark run the
real Twilio SDK without reaching the internet.

It answers ``POST /2010-04-01/Accounts/<sid>/Messages.json`` and ``.../Calls.json``
like Twilio (201 with a JSON resource, Basic auth checked) and can be told to
misbehave: answer 429 or 500, hang past the client's timeout, be slow, refuse
connections (stop listening), or reject certain numbers permanently (400, code
21211). It records what it received with the time it arrived.

It is a small HTTP/1.1 server on asyncio (keep-alive, Content-Length bodies,
what the SDK sends) rather than a web framework, so that in the benchmark the
"provider" costs the shared CPU as little as possible.

In tests: ``FakeTwilio().start()`` runs it on a thread of the test process.
For other processes (the benchmark): ``python -m tests.sms.fake_twilio --port N``
runs it on its own, controlled through ``/_fake/...`` endpoints.
"""

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests"
_AUTHORIZATION = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
_API = f"/2010-04-01/Accounts/{ACCOUNT_SID}/"
_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
_REASONS |= {429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass
class Received:
    kind: str  # "sms" or "voice"
    to: str
    sender: str
    body: str
    twiml: str
    status_callback: str
    url: str
    validity_period: str
    at: float
    sid: str


@dataclass
class Behaviour:
    # "ok", "429", "500", "timeout" (hang far longer than any client timeout),
    # "permanent" (400 / 21211 for every request).
    mode: str = "ok"
    # Misbehave for this many requests only, then answer "ok" again; None: until told.
    remaining: int | None = None
    delay: float = 0.0  # seconds before answering, in every mode
    invalid_numbers: set[str] = field(default_factory=set)


class FakeTwilio:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, record_bodies: bool = True):
        self.host = host
        self.port = port
        self.record_bodies = record_bodies
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self.requests = 0  # every API request, answered well or not
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._release: asyncio.Event | None = None

    # --- control ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_mode(self, mode: str, *, count: int | None = None, delay: float | None = None) -> None:
        with self._lock:
            self.behaviour.mode = mode
            self.behaviour.remaining = count
            if delay is not None:
                self.behaviour.delay = delay

    def reject_number(self, e164: str) -> None:
        with self._lock:
            self.behaviour.invalid_numbers.add(e164)

    def start(self) -> "FakeTwilio":
        """Serve on a background thread; returns when the port is listening."""
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._listen())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-twilio", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None  # started with the loop
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def refuse_connections(self) -> None:
        """Stop listening and drop open connections: clients get "connection refused"."""
        assert self._loop is not None, "start() the fake first"
        asyncio.run_coroutine_threadsafe(self._stop_listening(), self._loop).result(10)

    def accept_connections(self) -> None:
        assert self._loop is not None, "start() the fake first"
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"fake Twilio received {len(self.received)} of {count} messages")

    # --- serving -----------------------------------------------------------
    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        assert self._server is not None  # _listen() ran at start()
        self._server.close()
        for connection in list(self._connections):
            assert connection.transport is not None  # set when the connection was made
            connection.transport.close()
        await self._server.wait_closed()

    async def _shutdown(self) -> None:
        self._hang_released().set()
        await self._stop_listening()

    def _hang_released(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def _next_behaviour(self) -> tuple[str, float, set[str]]:
        with self._lock:
            self.requests += 1
            behaviour = self.behaviour
            mode = behaviour.mode
            if behaviour.remaining is not None:
                if behaviour.remaining <= 0:
                    mode = behaviour.mode = "ok"
                    behaviour.remaining = None
                else:
                    behaviour.remaining -= 1
            return mode, behaviour.delay, behaviour.invalid_numbers

    def handle(self, method: str, target: str, headers: dict, body: bytes):
        """Answer one request: (status, JSON text), or a coroutine giving one."""
        path, _, query = target.partition("?")
        if path.startswith("/_fake/"):
            return self._control(method, path, query, body)
        if method != "POST" or not path.startswith("/2010-04-01/Accounts/"):
            return _error(404, 20404, "Not found")
        kind = {"Messages.json": "sms", "Calls.json": "voice"}.get(path.rsplit("/", 1)[-1])
        if kind is None:
            return _error(404, 20404, "Not found")
        mode, delay, invalid_numbers = self._next_behaviour()
        if delay or mode == "timeout":
            return self._answer_later(path, headers, body, kind, mode, delay, invalid_numbers)
        return self._create(path, headers, body, kind, mode, invalid_numbers)

    async def _answer_later(self, path, headers, body, kind, mode, delay, invalid_numbers):
        await asyncio.sleep(delay)
        if mode == "timeout":
            # Hang until the client gives up (or the server stops).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hang_released().wait(), 3600)
            return _error(500, 20500, "Internal Server Error")
        return self._create(path, headers, body, kind, mode, invalid_numbers)

    def _create(self, path, headers, body, kind, mode, invalid_numbers):
        if headers.get("authorization") != _AUTHORIZATION or not path.startswith(_API):
            return _error(401, 20003, "Authenticate")
        if mode == "429":
            return _error(429, 20429, "Too Many Requests")
        if mode == "500":
            return _error(500, 20500, "Internal Server Error")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        to = form.get("To", "")
        if mode == "permanent" or to in invalid_numbers:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sid = f"{'SM' if kind == 'sms' else 'CA'}{next(self._sids):032x}"
        record = Received(
            kind=kind,
            to=to,
            sender=form.get("From", form.get("MessagingServiceSid", "")),
            body=form.get("Body", "") if self.record_bodies else "",
            twiml=form.get("Twiml", ""),
            url=form.get("Url", ""),
            status_callback=form.get("StatusCallback", ""),
            validity_period=form.get("ValidityPeriod", ""),
            at=time.time(),
            sid=sid,
        )
        with self._lock:
            self.received.append(record)
        collection = "Messages" if kind == "sms" else "Calls"
        resource = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": record.sender,
            "status": "queued",
            "uri": f"{_API}{collection}/{sid}.json",
        }
        return 201, json.dumps(resource)

    def _control(self, method: str, path: str, query: str, body: bytes):
        if path == "/_fake/mode" and method == "POST":
            data = json.loads(body or b"{}")
            self.set_mode(data.get("mode", "ok"), count=data.get("count"), delay=data.get("delay"))
            return 200, '{"ok": true}'
        if path == "/_fake/received" and method == "GET":
            return 200, json.dumps(self._received_report(parse_qs(query)))
        return _error(404, 20404, "Not found")

    def _received_report(self, query: dict):
        """What arrived, optionally only for recipients starting with ``prefix``;
        ``summary=1`` answers counts (per second) instead of the messages."""
        prefix = query.get("prefix", [""])[0]
        with self._lock:
            records = [r for r in self.received if r.to.startswith(prefix)]
            total_requests = self.requests
        if query.get("summary"):
            per_second: dict[int, int] = {}
            for record in records:
                per_second[int(record.at)] = per_second.get(int(record.at), 0) + 1
            return {"count": len(records), "requests": total_requests, "per_second": per_second}
        return [asdict(r) for r in records]


class _Connection(asyncio.Protocol):
    """One keep-alive client connection: requests are answered in order."""

    def __init__(self, server: FakeTwilio):
        self.server = server
        self.buffer = bytearray()
        self.waiting: list[tuple] = []
        self.busy = False
        self.task: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.server._connections.add(self)

    def connection_lost(self, exc) -> None:
        self.server._connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := self._next_request()) is not None:
            self.waiting.append(request)
        self._answer_waiting()

    def _next_request(self):
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        method, target, _version = head[0].split(" ", 2)
        return method, target, headers, body

    def _answer_waiting(self) -> None:
        while self.waiting and not self.busy:
            answer = self.server.handle(*self.waiting.pop(0))
            if asyncio.iscoroutine(answer):
                self.busy = True
                self.task = asyncio.ensure_future(self._answer_later(answer))
                return
            self._write(*answer)

    async def _answer_later(self, answer) -> None:
        try:
            self._write(*await answer)
        finally:
            self.busy = False
        self._answer_waiting()

    def _write(self, status: int, text: str) -> None:
        assert self.transport is not None  # set when the connection was made
        if self.transport.is_closing():
            return
        body = text.encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.transport.write(head.encode() + body)


def _error(status: int, code: int, message: str) -> tuple[int, str]:
    return status, json.dumps({"code": code, "message": message, "more_info": "", "status": status})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-bodies", action="store_true", help="Do not keep message texts.")
    options = parser.parse_args()
    server = FakeTwilio(host=options.host, port=options.port, record_bodies=not options.no_bodies)

    async def serve():
        await server._listen()
        print(f"fake Twilio listening on {server.base_url}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
