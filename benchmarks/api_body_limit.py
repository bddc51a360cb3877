"""Server memory for one 100 MB POST, with and without the request body limit (issue #20 item 3, decision 0021).

Starts ``uvicorn`` with the real app in a child process, reads its resident memory (VmRSS, VmHWM from
/proc) before and after one POST of a ``profile.skills`` list of SIZE MB to /api/guidance/gap, once with
Content-Length and once streamed (chunked, no length). "without limit" is the same app with
``EMCLM_MAX_BODY_BYTES`` raised above the body (what every route did before the limit existed).

    .venv/bin/python benchmarks/api_body_limit.py [--size-mb 100]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

import httpx


def _rss(pid: int) -> tuple[int, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def _body(size_mb: int) -> bytes:
    item = b'"http://data.europa.eu/esco/skill/0000",'
    n = size_mb * 1024 * 1024 // len(item)
    return b'{"target": "data analyst", "profile": {"skills": [' + item * n + b'"x"]}}'


def _chunks(body: bytes, size: int = 1 << 20):
    for i in range(0, len(body), size):
        yield body[i : i + size]


def run(limit: int | None, size_mb: int, mode: str) -> tuple[int, float, int, int, int]:
    """One fresh server per measurement (VmHWM is the process's peak since start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EMCLM_RATE_LIMIT_ENABLED": "false"}
    if limit is not None:
        env["EMCLM_MAX_BODY_BYTES"] = str(limit)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "emclm.api.app:create_app", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(url + "/api/courses?page_size=1", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        body = _body(size_mb)
        time.sleep(1.0)
        before, _ = _rss(server.pid)
        t = time.perf_counter()
        content = body if mode == "content-length" else _chunks(body)
        try:
            with httpx.Client(timeout=600) as client:
                status = client.post(
                    url + "/api/guidance/gap", content=content, headers={"content-type": "application/json"}
                ).status_code
        except httpx.TransportError:  # the server answered early and closed the connection
            status = -1
        seconds = time.perf_counter() - t
        after, peak = _rss(server.pid)
        return status, seconds, before, after, peak
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=100)
    args = ap.parse_args()
    print(f"POST /api/guidance/gap, body {args.size_mb} MB")
    print("| limit | body sent | status | seconds | RSS before MB | RSS after MB | peak RSS MB | growth MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, limit in (("none (limit above the body)", (args.size_mb + 10) << 20), ("1 MB (default)", None)):
        for mode in ("content-length", "chunked"):
            status, seconds, before, after, peak = run(limit, args.size_mb, mode)
            row = f"| {name} | {mode} | {status} | {seconds:.1f} | {before} | {after} | {peak} | {peak - before} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
