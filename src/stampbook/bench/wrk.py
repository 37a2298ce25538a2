"""Drive a server with wrk (a C load generator: it leaves the CPU to the server) and parse it.

Each scenario is a list of prepared requests; the generated Lua script cycles through them
and prints one JSON line of figures when the run ends.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"

LUA_TEMPLATE = """
local requests = {%(requests)s}
-- Unique to this run: a key sent by an earlier run (the warm-up) would be a replay.
local run = "%(run)s"
local count = #requests
local counter = 0

setup = function(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end

init = function(args)
  index = offset
end

request = function()
  index = index + 1
  local r = requests[(index %% count) + 1]
  local headers = {["Content-Type"] = "application/json"}
  if r[3] ~= "" then headers["Authorization"] = "Bearer " .. r[3] end
  if r[5] ~= "" then
    headers["Idempotency-Key"] = r[5] .. "-" .. run .. "-" .. offset .. "-" .. index
  end
  if r[6] ~= "" then headers["Cookie"] = r[6] end
  for name, value in pairs(r[7]) do headers[name] = value end
  return wrk.format(r[1], r[2], headers, r[4] ~= "" and r[4] or nil)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "duration_us": %%d, "status_errors": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    path: str
    token: str = ""
    body: str = ""
    # When set, every request gets a unique Idempotency-Key with this prefix.
    idempotency_prefix: str = ""
    cookie: str = ""
    # More headers (a store's webhook signature...), as (name, value) pairs.
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def _lua_headers(headers: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers) + "}"


def write_script(requests: list[PreparedRequest], path: Path) -> None:
    rows = ",\n".join(
        "{"
        + ", ".join(
            _lua_string(v)
            for v in (r.method, r.path, r.token, r.body, r.idempotency_prefix, r.cookie)
        )
        + ", "
        + _lua_headers(r.headers)
        + "}"
        for r in requests
    )
    path.write_text(LUA_TEMPLATE % {"requests": rows, "run": secrets.token_hex(4)})


def run(
    base_url: str,
    requests: list[PreparedRequest],
    *,
    connections: int = 16,
    threads: int = 2,
    seconds: int = 10,
) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "scenario.lua"
        write_script(requests, script)
        completed = subprocess.run(
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                str(script),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    duration = raw["duration_us"] / 1e6
    return Figures(
        requests=raw["requests"],
        seconds=round(duration, 2),
        throughput=round(raw["requests"] / duration, 1),
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=raw["status_errors"] + raw["socket_errors"],
    )


def combine(runs: list[Figures]) -> Figures:
    """Several loads of one scenario as one: throughput over their whole length, and each
    latency the worst of the runs (percentiles of separate runs do not add up)."""
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)
    return Figures(
        requests=requests,
        seconds=round(seconds, 2),
        throughput=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=max(r.p50_ms for r in runs),
        p95_ms=max(r.p95_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        max_ms=max(r.max_ms for r in runs),
        errors=sum(r.errors for r in runs),
    )
