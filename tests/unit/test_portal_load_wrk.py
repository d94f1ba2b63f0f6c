"""The wrk output parser of bench/portal_load.py, on outputs of wrk 4.1.0 --latency."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "portal_load.py"

OUTPUT = """Running 30s test @ http://127.0.0.1:41235/enterprises/803fdbe2-cbc1-4c7c-b9e4-cbcb7cd955b1
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    31.21ms   12.80ms 211.52ms   81.44%
    Req/Sec     1.04k   143.21     1.38k    70.17%
  Latency Distribution
     50%   28.70ms
     75%   35.12ms
     90%   45.88ms
     99%  812.00us
  62131 requests in 30.03s, 7.43GB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 17
Requests/sec:   2069.07
Transfer/sec:    253.33MB
"""

CLEAN = """Running 5s test @ http://127.0.0.1:58991/page
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.14ms   30.20ms 345.12ms   93.40%
    Req/Sec     2.08k   420.13     2.71k    74.00%
  Latency Distribution
     50%   12.99ms
     75%   16.02ms
     90%   24.50ms
     99%    1.34s{trailing}
  20680 requests in 5.00s, 14.85MB read
Requests/sec:   4134.08
Transfer/sec:      2.97MB
""".format(trailing=" ")  # wrk pads seconds with a space


@pytest.fixture(scope="module")
def portal_load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portal_load", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["portal_load"] = module
    spec.loader.exec_module(module)
    return module


def test_parses_rate_percentiles_and_errors(portal_load: ModuleType) -> None:
    result = portal_load.parse_wrk(OUTPUT)
    assert result.requests_per_second == 2069.07
    assert result.requests == 62131
    assert result.percentiles == {50: 28.70, 75: 35.12, 90: 45.88, 99: 0.812}
    assert result.p50 == 28.70
    assert result.non_2xx == 3
    assert result.socket_errors == {"connect": 0, "read": 2, "write": 0, "timeout": 17}
    assert result.errors == 5  # non-2xx and read errors; timeouts are counted apart
    assert result.timeouts == 17


def test_clean_run_has_no_errors_and_seconds_become_milliseconds(portal_load: ModuleType) -> None:
    result = portal_load.parse_wrk(CLEAN)
    assert result.requests_per_second == 4134.08
    assert result.p99 == 1340.0  # "1.34s " with wrk's trailing space
    assert result.non_2xx == 0
    assert result.socket_errors == {}
    assert result.errors == 0
    assert result.timeouts == 0


@pytest.mark.parametrize(
    ("text", "ms"), [("812.00us", 0.812), ("1.23ms", 1.23), ("2.01s", 2010.0), ("1.50m", 90_000.0), ("3ms", 3.0)]
)
def test_durations(portal_load: ModuleType, text: str, ms: float) -> None:
    assert portal_load.duration_ms(text) == pytest.approx(ms)


@pytest.mark.parametrize("text", ["", "1.2", "ms", "1.2 ms", "-1ms", "1.2ks"])
def test_not_a_duration(portal_load: ModuleType, text: str) -> None:
    with pytest.raises(ValueError, match="not a wrk duration"):
        portal_load.duration_ms(text)


def test_output_without_latency_distribution_is_refused(portal_load: ModuleType) -> None:
    without = OUTPUT.split("  Latency Distribution")[0] + "Requests/sec:   2069.07\n"
    with pytest.raises(ValueError, match="wrk --latency"):
        portal_load.parse_wrk(without)


def test_counts_the_record_rows_of_the_enterprise_page(portal_load: ModuleType) -> None:
    row = '<tr id="record-803fdbe2-cbc1-4c7c-b9e4-cbcb7cd955b1">'
    html = f"<table>{row}<th>一</th></tr>{row}<th>二</th></tr><tr class='detail'></tr></table>"
    assert portal_load.count_records(html) == 2
