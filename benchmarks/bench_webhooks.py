"""Webhook flood: refused anonymous deliveries against a real gunicorn (3 sync workers, DEBUG
off), and how /health/ answers meanwhile, beside /health/ on the idle server (the baseline).

Scenarios: 30 MB bodies with a junk Stripe signature or no Sentry signature (refused from their
headers, unread), and 1 MB bodies with a well-formed but wrong signature (read and HMAC'd, then
refused unparsed). Rows kept shows the cap on what anonymous traffic can store.
"""

import contextlib
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.registry import suite, table

WORKERS = 3
SENDERS = 6


def _health_ms(port: int) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/health/")
    connection.getresponse().read()
    return (time.perf_counter() - started) * 1000


def _refused_post(port: int, path: str, size: int, headers: dict[str, str]) -> tuple[float, int]:
    """Send a POST declaring `size` bytes; stream the body until the server answers."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {size}"]
        head += ["Content-Type: application/json", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        chunk, sent = b"[" * 65536, 0
        sock.settimeout(0.0)
        answer = b""
        while True:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(4096)
            if b"\r\n" in answer:
                break
            if sent < size:
                with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
                    sent += sock.send(chunk[: min(len(chunk), size - sent)])
            else:
                time.sleep(0.001)
            if time.perf_counter() - started > 60:
                break
    status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/") else 0
    return (time.perf_counter() - started) * 1000, status


def _flood(port: int, send: Callable[[], tuple[float, int]], seconds: float) -> dict[str, Any]:
    timings: list[float] = []
    statuses: set[int] = set()
    health: list[float] = []
    stop = time.monotonic() + seconds

    def sender() -> None:
        while time.monotonic() < stop:
            ms, status = send()
            timings.append(ms)
            statuses.add(status)

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    while time.monotonic() < stop:
        health.append(_health_ms(port))
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return {"timings": timings, "statuses": statuses, "health": health}


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else 0.0


@suite("webhook_flood")
def run(quick: bool = False) -> None:
    from benchmarks.bench_ingest import BENCH_DIR, Database
    from benchmarks.ingest_load import gunicorn

    db = Database("SQLite", f"sqlite:///{BENCH_DIR / 'webhooks.sqlite3'}")
    db.reset()
    env = db.env()
    env.update(
        STRIPE_WEBHOOK_SECRET="whsec_bench_0123456789",  # noqa: S106 - a throwaway server
        SENTRY_CLIENT_SECRET="bench-secret",  # noqa: S106
        OPSROOM_LOG_LEVEL="ERROR",
    )
    seconds = 3.0 if quick else 10.0
    big, medium = 30 * 1024 * 1024, 1024 * 1024 - 100
    rows = []
    with gunicorn(env, WORKERS) as port:
        for _ in range(10):  # warm every worker up first
            _health_ms(port)
        idle = [_health_ms(port) for _ in range(40)]
        rows.append(["idle server (baseline)", 0, "", 0.0, 0.0, statistics.median(idle), max(idle)])

        def fresh() -> str:
            return f"t={int(time.time())},v1={'0' * 64}"

        scenarios: list[tuple[str, str, int, Callable[[], dict[str, str]]]] = [
            (
                "stripe, 30 MB, junk signature",
                "/webhooks/stripe/",
                big,
                lambda: {"Stripe-Signature": fresh()},
            ),
            ("sentry, 30 MB, no signature", "/webhooks/sentry/", big, dict),
            (
                "stripe, 1 MB, wrong signature",
                "/webhooks/stripe/",
                medium,
                lambda: {"Stripe-Signature": fresh()},
            ),
            (
                "sentry, 1 MB, wrong signature",
                "/webhooks/sentry/",
                medium,
                lambda: {"Sentry-Hook-Signature": "0" * 64},
            ),
        ]
        for label, path, size, headers in scenarios:

            def send(
                path: str = path, size: int = size, headers: Callable[[], dict[str, str]] = headers
            ) -> tuple[float, int]:
                return _refused_post(port, path, size, headers())

            result = _flood(port, send, seconds)
            timings, health = result["timings"], result["health"]
            rows.append(
                [
                    label,
                    len(timings),
                    "/".join(map(str, sorted(result["statuses"]))),
                    statistics.median(timings),
                    _p95(timings),
                    statistics.median(health),
                    max(health),
                ]
            )
    kept = db.manage(
        "shell",
        "--no-imports",
        "-c",
        "from opsroom.telemetry.models import IntegrationDelivery as D;"
        "print(D.objects.filter(outcome='rejected').count())",
    ).strip()
    print(
        f"{WORKERS} gunicorn sync workers, {SENDERS} concurrent senders, {seconds:.0f} s per "
        "scenario (SQLite)\n"
    )
    print(
        table(
            [
                "scenario",
                "refused",
                "status",
                "refusal ms (median)",
                "refusal ms (p95)",
                "/health/ ms (median)",
                "/health/ ms (max)",
            ],
            rows,
        )
    )
    print(
        f"\nrefused deliveries kept in the database after the flood: {kept} "
        "(at most OPSROOM_REFUSED_DELIVERIES_PER_MINUTE a minute per source)"
    )
