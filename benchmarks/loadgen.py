"""A small keep-alive HTTP/1.1 load generator on asyncio (loopback only).

It sends prepared requests (cycling through a list of bodies) over
``concurrency`` connections for ``seconds`` and returns the completed count and
the latencies. Bounded in time and count.
"""

import asyncio
import json
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    path: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        mean = statistics.fmean(self.latencies_ms)
        return (
            f"{self.path:<28} {self.rps:8.0f} req/s   p50 {self.percentile(0.50):6.2f} ms   "
            f"p99 {self.percentile(0.99):6.2f} ms   mean {mean:6.2f} ms   statuses {self.statuses}"
        )


def build_request(host: str, port: int, path: str, body: dict) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + payload


async def _connection(host, port, requests, offset, deadline, latencies, statuses, max_requests):
    reader, writer = await asyncio.open_connection(host, port)
    sent = offset
    try:
        while time.perf_counter() < deadline and len(latencies) < max_requests:
            start = time.perf_counter()
            writer.write(requests[sent % len(requests)])
            sent += 1
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    path: str,
    bodies: list[dict],
    concurrency: int = 32,
    seconds: float = 5.0,
    max_requests: int = 2_000_000,
) -> LoadResult:
    requests = [build_request(host, port, path, body) for body in bodies]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(
            _connection(host, port, requests, n, deadline, latencies, statuses, max_requests)
            for n in range(concurrency)
        )
    )
    return LoadResult(path, len(latencies), time.perf_counter() - start, latencies, statuses)
