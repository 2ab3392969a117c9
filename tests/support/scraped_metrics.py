"""Reading GET /api/metrics in tests: samples by name and labels, and what changed between two scrapes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    samples: dict[tuple[str, frozenset], float]

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels (0 when the series does not exist yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of name whose labels include these."""
        wanted = set(labels.items())
        return sum(v for (n, series), v in self.samples.items() if n == name and wanted <= series)

    def minus(self, earlier: Scrape) -> Scrape:
        """What changed since the earlier scrape (counters and histogram counts only grow)."""
        keys = self.samples.keys() | earlier.samples.keys()
        return Scrape({key: self.samples.get(key, 0.0) - earlier.samples.get(key, 0.0) for key in keys})


def scrape(base_url: str, **headers: str) -> Scrape:
    """Fetch and parse the Prometheus text format from base_url + /metrics."""
    response = httpx.get(f"{base_url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples)
