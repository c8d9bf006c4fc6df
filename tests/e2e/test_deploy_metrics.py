"""Issue 17: every metric the Grafana dashboard and the Prometheus rules name is exported by a
running worker (deploy/grafana/streamproc.json, deploy/prometheus/streamproc-rules.yml)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\b(streamproc_[a-z0-9_]+)\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "streamproc.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def rule_exprs() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "streamproc-rules.yml").read_text())
    return [r["expr"] for g in rules["groups"] for r in g["rules"]]


def exported(url: str) -> set[str]:
    """Series names the worker exports (a labelled metric with no series yet still counts)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(s.name for s in family.samples)
    return names


def test_dashboard_and_rules_cover_what_operators_need() -> None:
    dashboard, rules = " ".join(dashboard_exprs()), " ".join(rule_exprs())
    for metric in (
        "streamproc_events_consumed_total",  # throughput
        "streamproc_consumer_lag",
        "streamproc_consumer_lag_seconds",
        "streamproc_ticket_results_total",  # results by outcome and reason
        "streamproc_halo_requests_total",
        "streamproc_halo_budget_remaining",
        "streamproc_dead_letters_total",
        "streamproc_rebalances_total",
    ):
        assert metric in dashboard, metric
    for metric in (
        "streamproc_consumer_lag",
        "streamproc_dead_letters_total",
        'streamproc_integrations{state="error"}',
        "streamproc_halo_budget_remaining",
    ):
        assert metric in rules, metric


def test_every_metric_in_the_dashboard_and_rules_is_exported(make_worker) -> None:
    worker = make_worker("w1").start()
    names = exported(worker.url)
    wanted = {m for expr in dashboard_exprs() + rule_exprs() for m in METRIC.findall(expr)}
    assert len(wanted) >= 12
    assert sorted(wanted - names) == []
