"""`make demo`: the whole pipeline on one sample order, on this machine.

Starts the six services (`orderflow run all`), waits until each is ready,
sends a signed Shopify order webhook to the orders service as a shop would,
prints every event that crosses `orderflow.events` as it happens, lists the
emails and documents the order produced, and stops the services.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import httpx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).with_name("demo-order.json")
PORTS = {
    "orders": 8001,
    "crm": 8002,
    "billing": 8003,
    "fulfillment": 8004,
    "feedback": 8005,
    "support": 8006,
}
SHOPIFY_SECRET = "demo-shopify-app-secret"  # noqa: S105 - the demo signs its own order
SHOP_DOMAIN = "demo-shop.myshopify.com"
QUIET_SECONDS = 8.0
LONGEST_SECONDS = 90.0


def environment(var: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ORDERFLOW_SHOPIFY_SECRET", SHOPIFY_SECRET)
    env.setdefault("ORDERFLOW_MAIL_DIR", str(var / "mail"))
    env.setdefault("ORDERFLOW_LOG_FORMAT", "json")
    env.setdefault("ORDERFLOW_LOG_LEVEL", "WARNING")
    return env


def sample_order() -> bytes:
    """The sample order under a new id, so every run is a new order."""
    order = json.loads(SAMPLE.read_text())
    number = int(time.time()) % 1_000_000
    order["id"] = 7_000_000_000_000 + number
    order["order_number"] = number
    order["name"] = f"#{number}"
    return json.dumps(order).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
    }


async def wait_until_ready(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 120
    waiting = set(PORTS)
    while waiting:
        for name in sorted(waiting):
            try:
                response = await client.get(
                    f"http://127.0.0.1:{PORTS[name]}/health/ready"
                )
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                print(f"  {name:<12} ready on :{PORTS[name]}")
                waiting.discard(name)
        if time.monotonic() > deadline:
            raise SystemExit(f"not ready after 120 s: {', '.join(sorted(waiting))}")
        await asyncio.sleep(0.5)


async def watch_events(amqp_url: str, started: asyncio.Event) -> None:
    """Print each event on the exchange until the pipeline has been quiet."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "orderflow.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, "#")
        bodies: asyncio.Queue[bytes] = asyncio.Queue()
        await queue.consume(lambda message: bodies.put(message.body), no_ack=True)
        started.set()
        last = began = time.monotonic()
        while time.monotonic() - last < QUIET_SECONDS:
            if time.monotonic() - began > LONGEST_SECONDS:
                break
            try:
                body = await asyncio.wait_for(bodies.get(), timeout=1.0)
            except TimeoutError:
                continue
            last = time.monotonic()
            print_event(body)


def print_event(body: bytes) -> None:
    event = json.loads(body)
    payload = event.get("payload", {})
    ids = {
        key: payload[key]
        for key in ("order_id", "sku", "invoice_number", "amount", "message_id")
        if key in payload
    }
    detail = "  ".join(f"{key}={value}" for key, value in ids.items())
    print(
        f"  {event['producer']:<12} {event['event_type']}.v{event['schema_version']}"
        f"  {detail}"
    )


def list_outputs(var: Path, since: float) -> None:
    files = sorted(
        path
        for path in var.rglob("*")
        if path.is_file() and path.stat().st_mtime >= since
    )
    print(f"\nWhat the order produced, under {var.relative_to(ROOT)}/:")
    for path in files:
        print(f"  {path.relative_to(var)}  ({path.stat().st_size} bytes)")
    if not files:
        print("  nothing")


async def run_demo(var: Path) -> None:
    since = time.time()
    amqp_url = os.environ.get(
        "ORDERFLOW_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"
    )
    async with httpx.AsyncClient(timeout=5.0) as client:
        print("Starting the six services:")
        await wait_until_ready(client)
        started = asyncio.Event()
        watcher = asyncio.create_task(watch_events(amqp_url, started))
        await started.wait()
        body = sample_order()
        print(f"\nA Shopify shop sends order {json.loads(body)['name']}:")
        response = await client.post(
            "http://127.0.0.1:8001/webhooks/shopify",
            content=body,
            headers=signed_headers(body),
        )
        print(f"  orders answered {response.status_code} {response.text[:200]}")
        print("\nEvents on orderflow.events:")
        await watcher
    list_outputs(var, since)


def main() -> None:
    var = ROOT / "var" / "demo"
    var.mkdir(parents=True, exist_ok=True)
    log = ROOT / "var" / "demo-services.log"
    services = subprocess.Popen(
        [sys.executable, "-m", "orderflow.backbone.cli", "run", "all"],
        env=environment(var),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        asyncio.run(run_demo(var))
    finally:
        services.send_signal(signal.SIGTERM)
        services.wait(timeout=60)
    print(f"\nThe services' log: {log.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
