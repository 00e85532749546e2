"""Counters and histograms cheap enough for the routing path, exposed on scrape.

prometheus-client's own ``Counter``/``Histogram`` take a lock and walk a few objects per
observation (a microsecond or two); a routing decision takes about 15 µs. These keep
plain integers per label set, touched only from the event loop's thread, and are turned
into metric families only when Prometheus scrapes (:meth:`Histograms.family`).

Label values must be bounded: past :data:`MAX_SERIES` label sets one metric folds new
ones into ``other``, so a bug can never grow memory or the scrape without bound.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

__all__ = ["MAX_SERIES", "Counters", "Histograms"]

MAX_SERIES = 500
_OTHER = "other"

Labels = tuple[str, ...]


def _bounded(series: Mapping[Labels, object], labels: Labels) -> Labels:
    if labels in series or len(series) < MAX_SERIES:
        return labels
    return tuple(_OTHER for _ in labels)


class Counters:
    def __init__(self, name: str, documentation: str, labels: Sequence[str]) -> None:
        self._name, self._doc, self._labels = name, documentation, list(labels)
        self._values: dict[Labels, float] = {}

    def inc(self, labels: Labels, amount: float = 1.0) -> None:
        key = _bounded(self._values, labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, labels: Labels) -> float:
        return self._values.get(labels, 0.0)

    def family(self) -> CounterMetricFamily:
        family = CounterMetricFamily(self._name, self._doc, labels=self._labels)
        for labels, value in sorted(self._values.items()):
            family.add_metric(list(labels), value)
        return family


class Histograms:
    """One histogram per label set, with fixed upper bounds (seconds)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], bounds: Sequence[float]
    ) -> None:
        if list(bounds) != sorted(set(bounds)):
            raise ValueError("histogram bounds must be increasing")
        self._name, self._doc, self._labels = name, documentation, list(labels)
        self._bounds = tuple(bounds)
        # Per label set: the count of each bucket (the last one is +Inf), then the sum.
        self._counts: dict[Labels, list[float]] = {}

    def observe(self, labels: Labels, value: float) -> None:
        counts = self._counts.get(labels)
        if counts is None:
            counts = self._series(labels)
        # bisect_left: a value equal to a bound belongs to that bucket (le = "<=").
        counts[bisect_left(self._bounds, value)] += 1
        counts[-1] += value

    def _series(self, labels: Labels) -> list[float]:
        labels = _bounded(self._counts, labels)
        return self._counts.setdefault(labels, [0] * (len(self._bounds) + 1) + [0.0])

    def count(self, labels: Labels) -> int:
        return int(sum(self._counts.get(labels, [0.0])[:-1]))

    def family(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(self._name, self._doc, labels=self._labels)
        for labels, counts in sorted(self._counts.items()):
            cumulative, buckets = 0.0, []
            for bound, n in zip((*self._bounds, float("inf")), counts[:-1], strict=True):
                cumulative += n
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            family.add_metric(list(labels), buckets, counts[-1])
        return family
