"""Small robust statistics the detectors and baselines share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median, pstdev


def mad(values: list[float]) -> float:
    """Median absolute deviation from the median."""
    centre = median(values)
    return median(abs(v - centre) for v in values)


def trimmed_log_spread(values: Sequence[float]) -> float:
    """Standard deviation of the logarithms, the highest and lowest tenth dropped.

    The spread in log space is relative (0.05 is about +-5 %), so one threshold fits a
    1-second and a 5-minute action. Trimming keeps one odd value (a pause, a network
    hiccup; or a bot's deliberate outlier) from hiding an otherwise flat series.
    """
    logs = sorted(math.log(max(v, 1.0)) for v in values)
    trim = max(1, len(logs) // 10)
    kept = logs[trim:-trim] if len(logs) > 2 * trim + 2 else logs
    return pstdev(kept)
