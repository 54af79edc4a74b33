"""A stand-in for api.twilio.com on loopback, so tests and the benchmark run the
real Twilio SDK without reaching the internet.

It answers ``POST /2010-04-01/Accounts/<sid>/Messages.json`` and ``.../Calls.json``
like Twilio (201 with a JSON resource, Basic auth checked) and can be told to
misbehave: answer 429 or 500, hang past the client's timeout, be slow, refuse
connections (stop listening), or reject certain numbers permanently (400, code
21211). It records what it received with the time it arrived.

In tests: ``FakeTwilio().start()`` runs it on a thread of the test process.
For other processes (the benchmark): ``python -m tests.sms.fake_twilio --port N``
runs it on its own, controlled through ``/_fake/...`` endpoints.
"""

import argparse
import asyncio
import base64
import contextlib
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qs

from aiohttp import web

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests"


@dataclass
class Received:
    kind: str  # "sms" or "voice"
    to: str
    sender: str
    body: str
    twiml: str
    status_callback: str
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
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
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start_site())
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
        self._thread.join(10)
        self._loop = None

    def refuse_connections(self) -> None:
        """Stop listening: clients get "connection refused", as when the provider is down."""
        asyncio.run_coroutine_threadsafe(self._stop_listening(), self._loop).result(10)

    def accept_connections(self) -> None:
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
    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self._create_call)
        app.router.add_post("/_fake/mode", self._control_mode)
        app.router.add_get("/_fake/received", self._control_received)
        return app

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        if not self.port:
            self.port = self._site._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        # Close the listening socket only; the runner (and the app) stay, so
        # accept_connections() can listen again on the same port.
        server = self._site._server
        server.close()
        await server.wait_closed()
        self._runner._sites.remove(self._site)

    async def _shutdown(self) -> None:
        self._hang_released().set()
        await self._runner.cleanup()

    def _hang_released(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return header == f"Basic {expected}" and request.match_info["sid"] == ACCOUNT_SID

    async def _create_message(self, request: web.Request) -> web.Response:
        return await self._create(request, kind="sms", prefix="SM", to_field="To")

    async def _create_call(self, request: web.Request) -> web.Response:
        return await self._create(request, kind="voice", prefix="CA", to_field="To")

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

    async def _create(self, request: web.Request, *, kind: str, prefix: str, to_field: str):
        mode, delay, invalid_numbers = self._next_behaviour()
        if delay:
            await asyncio.sleep(delay)
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        if mode == "timeout":
            # Hang until the client gives up (or the server stops).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hang_released().wait(), 3600)
            return _error(500, 20500, "Internal Server Error")
        if mode == "429":
            return _error(429, 20429, "Too Many Requests")
        if mode == "500":
            return _error(500, 20500, "Internal Server Error")
        try:
            raw = await request.read()
        except ConnectionResetError:  # the client died (the kill -9 test)
            return web.Response(status=400)
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        to = form.get(to_field, "")
        if mode == "permanent" or to in invalid_numbers:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sid = prefix + uuid.uuid4().hex
        record = Received(
            kind=kind,
            to=to,
            sender=form.get("From", form.get("MessagingServiceSid", "")),
            body=form.get("Body", "") if self.record_bodies else "",
            twiml=form.get("Twiml", ""),
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
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/{collection}/{sid}.json",
        }
        if kind == "sms":
            resource["body"] = record.body
        return web.json_response(resource, status=201)

    async def _control_mode(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.set_mode(data.get("mode", "ok"), count=data.get("count"), delay=data.get("delay"))
        return web.json_response({"ok": True})

    async def _control_received(self, request: web.Request) -> web.Response:
        """What arrived, optionally only for recipients starting with ``prefix``.

        ``summary=1`` answers counts per second instead of the messages.
        """
        prefix = request.query.get("prefix", "")
        with self._lock:
            records = [r for r in self.received if r.to.startswith(prefix)]
            total_requests = self.requests
        if request.query.get("summary"):
            per_second: dict[int, int] = {}
            for record in records:
                per_second[int(record.at)] = per_second.get(int(record.at), 0) + 1
            return web.json_response(
                {"count": len(records), "requests": total_requests, "per_second": per_second}
            )
        return web.json_response([asdict(r) for r in records])


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "more_info": "", "status": status}, status=status
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-bodies", action="store_true", help="Do not keep message texts.")
    options = parser.parse_args()
    server = FakeTwilio(host=options.host, port=options.port, record_bodies=not options.no_bodies)

    async def serve():
        await server._start_site()
        print(f"fake Twilio listening on {server.base_url}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
