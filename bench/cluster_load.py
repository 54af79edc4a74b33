"""Booking load through a running cluster (scripts/cluster.py), and its checks.

Used by the fault tests (tests/cluster/) and by bench/cluster.py:

- ``seed`` (run as ``python -m bench.cluster_load seed …`` with the cluster's
  environment): seats on a few center-days and verified residents, made with
  the project's own services (bench/booking.py), written as JSON;
- :class:`BookingLoad`: residents as Python threads that open the time page and
  book through HAProxy, each answer recorded (status, kind, order);
- :func:`invariants`: what the database says afterwards, read with psycopg
  directly (no Django in the caller): oversold slots, wrong counters, half
  series, and who holds a booked series;
- ``outbox`` / ``tasks``: queue messages and background tasks for the
  dispatcher and worker faults.
"""

import argparse
import http.client
import itertools
import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if sys.path[0] == str(Path(__file__).resolve().parent):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

SLOT = re.compile(r'name="slot" value="(\d+)"')
TOKEN = re.compile(r'name="token" value="([\w-]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')
MAX_TRIES_PER_PERSON = 30


# --- seeding (inside Django, with the cluster's environment) ----------------
def seed(
    *, households: int, lanes: int, center_days: int, skip_days: int, first_number: int
) -> dict:
    """``center_days`` center-days after the first ``skip_days`` (each seeding of
    one cluster takes fresh ones) with ``lanes`` seats per time, and
    ``households`` verified residents whose numbers start at ``first_number``."""
    import django

    django.setup()
    from django.conf import settings

    from bench.booking import choose_center_days, make_residents, release_seats

    # Center-days without first-dose slots (e.g. whose second dose would fall
    # on a public holiday) are passed over, so that every run gets as many seats.
    candidates, _ids = choose_center_days(skip_days + center_days + 8, lanes)
    seats = {(center, day): release_seats(center, day, lanes) for center, day in candidates}
    chosen = [center_day for center_day in candidates if seats[center_day]]
    chosen = chosen[skip_days : skip_days + center_days]
    first_ids = [pk for center_day in chosen for pk in seats[center_day]]
    residents = make_residents(
        households, postal_code=chosen[0][0].postal_code, first_number=first_number
    )
    return {
        "days": [f"/{center.slug}/{day.isoformat()}/" for center, day in chosen],
        "first_slot_ids": first_ids,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "residents": [{"session": key, "people": people} for key, people in residents],
    }


def queue_outbox(*, count: int, prefix: str) -> list[int]:
    import django

    django.setup()
    from sms.models import Message
    from sms.outbox import queue_message

    return [
        queue_message(
            recipient=f"+4915199{number:06d}",
            body=f"Cluster test message {number}",
            priority=Message.Priority.BULK,
            idempotency_key=f"{prefix}:{number}",
        ).pk
        for number in range(count)
    ]


def enqueue_tasks(*, count: int) -> list[str]:
    import django

    django.setup()
    from waitlist.tasks import offer_free_seats

    # No slots: each task loads nothing and succeeds; what counts is that it runs.
    return [str(offer_free_seats.enqueue(slot_ids=[]).id) for _ in range(count)]


# --- the load (plain HTTP, no Django) -----------------------------------------
@dataclass
class Answer:
    number: int  # order in which requests were sent, across all clients
    method: str
    status: int
    started: float  # time.monotonic() when the request was sent
    kind: str


@dataclass
class BookingLoad:
    """Residents booking through HAProxy, one thread per client."""

    port: int
    data: dict
    clients: int = 8
    answers: list[Answer] = field(default_factory=list)
    told_booked: set[int] = field(default_factory=set)  # people told "booked"
    stop: threading.Event = field(default_factory=threading.Event)
    _counter: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        residents = self.data["residents"]
        for client in range(self.clients):
            mine = residents[client :: self.clients]
            thread = threading.Thread(target=self._run, args=(client, mine), daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            self.stop.set()
            for thread in self._threads:
                thread.join(30)

    @property
    def done(self) -> bool:
        return not any(thread.is_alive() for thread in self._threads)

    def _request(self, method: str, path: str, headers: dict, body: str | None = None):
        number = next(self._counter)
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers={**headers, "Connection": "close"})
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            return number, started, response.status, response.getheaders(), text
        except (OSError, http.client.HTTPException):
            return number, started, 0, [], ""
        finally:
            connection.close()

    def _record(self, number, method, status, started, kind) -> None:
        with self._lock:
            self.answers.append(Answer(number, method, status, started, kind))

    def _run(self, client: int, residents: list[dict]) -> None:
        rng = random.Random(client)
        days = self.data["days"]
        for resident in residents:
            csrf_cookie = None
            for person in resident["people"]:
                day = rng.randrange(len(days))
                form = None
                days_tried = 0
                for _try in range(MAX_TRIES_PER_PERSON):
                    if self.stop.is_set():
                        return
                    path = f"/book/{person}{days[day]}"
                    cookie = f"{self.data['session_cookie']}={resident['session']}"
                    if csrf_cookie:
                        cookie += f"; {self.data['csrf_cookie']}={csrf_cookie}"
                    headers = {"Cookie": cookie}
                    body: str | None
                    if form:
                        method = "POST"
                        headers["Content-Type"] = "application/x-www-form-urlencoded"
                        body = (
                            f"csrfmiddlewaretoken={form['csrf']}&token={form['token']}"
                            f"&slot={rng.choice(form['slots'])}"
                        )
                    else:
                        method, body = "GET", None
                    number, started, status, answer_headers, text = self._request(
                        method, path, headers, body
                    )
                    location = ""
                    for name, value in answer_headers:
                        if name.lower() == "location":
                            location = value
                        if name.lower() == "set-cookie":
                            found = re.search(
                                rf"{re.escape(self.data['csrf_cookie'])}=([^;]+)", value
                            )
                            csrf_cookie = found.group(1) if found else csrf_cookie
                    if status == 302 and method == "POST" and "/booking/" in location:
                        self._record(number, method, status, started, "booked")
                        with self._lock:
                            self.told_booked.add(person)
                        break
                    kind = "error" if status == 0 or status >= 500 else "page"
                    self._record(number, method, status, started, kind)
                    form = None
                    if status in (301, 302):
                        break  # e.g. already booked (an answer lost on its way)
                    if status == 200:
                        slots = SLOT.findall(text)
                        token, csrf = TOKEN.search(text), CSRF.search(text)
                        if slots and token and csrf:
                            form = {"slots": slots, "token": token.group(1), "csrf": csrf.group(1)}
                        else:  # the day is full: the next one
                            day = (day + 1) % len(days)
                            days_tried += 1
                            if days_tried >= len(days):
                                break
                    elif status == 0 or status >= 500:
                        time.sleep(0.2)  # a person presses again after a moment

    def server_errors(self, *, started_after: float = 0.0) -> list[Answer]:
        """Answers 5xx (or no answer at all) to requests sent after ``started_after``."""
        with self._lock:
            return [
                a
                for a in self.answers
                if a.started > started_after and (a.status == 0 or a.status >= 500)
            ]

    def booked_after(self, moment: float) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.kind == "booked" and a.started > moment)


# --- checks (psycopg directly) ---------------------------------------------------
def invariants(database_url: str, *, people: list[int]) -> dict:
    """What must hold in the database; ``booked_people`` are the people (of
    ``people``) who hold a booked series."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        oversold, wrong_counter = connection.execute(
            """
            SELECT count(*) FILTER (WHERE taken > s.capacity),
                   count(*) FILTER (WHERE taken <> s.booked)
            FROM centers_slot s
            CROSS JOIN LATERAL (
                SELECT count(*) AS taken FROM booking_appointment a
                WHERE a.slot_id = s.id AND a.status = 'booked'
            ) t
            """
        ).fetchone()  # type: ignore[misc]
        (half_series,) = connection.execute(
            """
            SELECT count(*) FROM booking_series s
            WHERE (SELECT count(*) FROM booking_appointment a WHERE a.series_id = s.id) <> 2
            """
        ).fetchone()  # type: ignore[misc]
        rows = connection.execute(
            """
            SELECT s.person_id, count(DISTINCT s.id) FROM booking_series s
            JOIN booking_appointment a ON a.series_id = s.id AND a.status = 'booked'
            WHERE s.person_id = ANY(%s) GROUP BY s.person_id
            """,
            [people],
        ).fetchall()
    return {
        "oversold": oversold,
        "wrong_counter": wrong_counter,
        "half_series": half_series,
        "booked_people": {person for person, _ in rows},
        "people_booked_twice": {person for person, series in rows if series > 1},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--households", type=int, default=40)
    seeding.add_argument("--lanes", type=int, default=1)
    seeding.add_argument("--center-days", type=int, default=2)
    seeding.add_argument("--skip-days", type=int, default=0)
    seeding.add_argument("--first-number", type=int, default=0)
    outbox = sub.add_parser("outbox")
    outbox.add_argument("--count", type=int, default=200)
    outbox.add_argument("--prefix", default="cluster")
    tasks = sub.add_parser("tasks")
    tasks.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    if args.what == "seed":
        result: object = seed(
            households=args.households,
            lanes=args.lanes,
            center_days=args.center_days,
            skip_days=args.skip_days,
            first_number=args.first_number,
        )
    elif args.what == "outbox":
        result = queue_outbox(count=args.count, prefix=args.prefix)
    else:
        result = enqueue_tasks(count=args.count)
    print("JSON " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
