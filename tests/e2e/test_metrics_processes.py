"""/metrics in the production shape sums every app process, whichever one nginx picks."""

from __future__ import annotations

import re

import httpx
import pytest

from bench.servers import Shape
from tests.helpers.child_servers import child_server_env

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]
ANSWERED = re.compile(r'^api_requests_total\{method="GET",status="200"\} ([0-9.e+]+)$', re.MULTILINE)


@pytest.fixture(scope="module")
def shape(django_db_setup, django_db_blocker):
    with Shape(child_server_env(), processes=2) as started:
        yield started


def test_every_scrape_counts_the_requests_of_both_processes(shape):
    with httpx.Client(base_url=shape.http, timeout=10) as client:
        for _ in range(20):  # nginx spreads them over both processes
            assert client.get("/api/v1/actions/types").status_code == 200
        counts = []
        for _ in range(6):  # each scrape lands on either process
            scraped = client.get("/metrics")
            assert scraped.status_code == 200, scraped.text
            counts.append(float(ANSWERED.search(scraped.text).group(1)))
    assert min(counts) >= 20, counts  # one process' own count would be about half
    assert counts == sorted(counts), counts  # never goes back, as a per-process counter did
    assert len(list(shape.metrics_dir.iterdir())) >= 2  # both processes wrote their samples


def test_the_shape_gives_its_processes_one_fresh_directory_and_removes_it():
    shape = Shape({}, processes=2)
    try:
        assert {app.env["PROMETHEUS_MULTIPROC_DIR"] for app in shape.apps} == {str(shape.metrics_dir)}
        assert shape.metrics_dir.is_dir() and not any(shape.metrics_dir.iterdir())
    finally:
        shape.stop()
    assert not shape.metrics_dir.exists()
