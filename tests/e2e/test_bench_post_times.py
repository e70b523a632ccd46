"""The bench's proxy logs the server time of POSTs, and reads back one phase's of one path."""

from __future__ import annotations

import re

from bench.servers import Nginx

RECORDS = re.compile(r"/api/v1/leaderboards/[^/]+/records")


def test_only_the_lines_after_the_mark_and_on_the_path_are_read():
    proxy = Nginx([], post_times=True)
    try:
        assert "map $request_method $is_post { POST 1; default 0; }" in proxy.config()
        assert f"access_log {proxy.post_times_log} post_time if=$is_post;" in proxy.config()
        assert proxy.post_times_mark() == 0  # nothing logged yet
        proxy.post_times_log.write_text("/api/v1/leaderboards/big/records 0.004\n")
        mark = proxy.post_times_mark()
        with proxy.post_times_log.open("a") as log:
            log.write("/api/v1/leaderboards/big/records 0.007\n")
            log.write("/api/v1/actions/complete 0.012\n")
            log.write("/api/v1/leaderboards/big/records 0.002, 0.009\n")  # retried: the last upstream
            log.write("/api/v1/leaderboards/big/records -\n")  # no upstream answered
        assert proxy.post_times(mark, RECORDS) == [7.0, 9.0]
        assert proxy.post_times(0, RECORDS) == [4.0, 7.0, 9.0]
    finally:
        proxy.stop()


def test_make_serve_logs_nothing():
    proxy = Nginx([])
    try:
        assert "access_log off;" in proxy.config()
        assert proxy.post_times(0, RECORDS) == []
    finally:
        proxy.stop()
