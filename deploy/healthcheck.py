"""The container health check: exit 0 when the service says it is ready.

Docker runs it inside a service's image, where `SERVICE` names the service;
the port is `ORDERFLOW_HTTP_PORT` when set, else the service's own default.
On failure it prints the readiness answer, which `docker inspect` shows.
"""

import importlib
import os
import sys
import urllib.error
import urllib.request


def ready_url() -> str:
    service = os.environ["SERVICE"]
    port = os.environ.get("ORDERFLOW_HTTP_PORT") or (
        importlib.import_module(f"orderflow.{service}.settings").DEFAULT_PORT
    )
    return f"http://127.0.0.1:{port}/health/ready"


def main() -> int:
    url = ready_url()
    try:
        with urllib.request.urlopen(url, timeout=4):  # noqa: S310 - a fixed http URL
            return 0
    except urllib.error.HTTPError as exc:
        print(f"{url}: {exc.code} {exc.read().decode(errors='replace')}")
    except OSError as exc:
        print(f"{url}: {type(exc).__name__}: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
