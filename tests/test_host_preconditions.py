"""A host rule's preconditions (Rule.when, Rule.hypervisors) only skip hosts on which the
rule finds nothing: every host rule runs, unfiltered, on every host of the examples, the
rule cases and the host trees, and finds nothing where its preconditions skip it."""
from __future__ import annotations

from operator import attrgetter

import pytest

from virtc import api
from virtc.rules.base import Context, Rule, Scope
from virtc.ruleset import area_rules

from conftest import EXAMPLES, ROOT
from test_rules import CASE_FILES, _outcome

HOST_RULES = [r for r in area_rules() if r.scope is Scope.HOST and r.run is Rule.run]
GUARDED = [r for r in HOST_RULES if r.when or r.hypervisors]
TREES = sorted(p for kind in ("clean", "seeded") for p in (ROOT / "tests" / "hosts" / kind).iterdir() if p.is_dir())


def _models():
    for path in sorted(EXAMPLES.glob("*.virt")):
        yield path.name, api.check([str(path)]).model
    for path in CASE_FILES:
        yield f"{path.parent.name}/{path.name}", _outcome(path).model
    for tree in TREES:
        yield f"hosts/{tree.parent.name}/{tree.name}", api.lint([], [str(tree)]).model


def test_most_host_rules_declare_preconditions():
    assert len(GUARDED) >= len(HOST_RULES) * 9 // 10


@pytest.mark.parametrize("rule", GUARDED, ids=lambda r: r.code)
def test_preconditions_name_host_fields(rule):
    host = api.check([str(EXAMPLES / "xen-webfarm.virt")]).model.hosts[0]
    for name in rule.when:
        if name != "guests":
            attrgetter(name)(host)  # a misspelt field raises here
    assert set(rule.hypervisors) <= {"xen", "kvm", "hyperv"}


def test_a_skipped_host_has_no_findings():
    wrong = []
    hosts_seen = 0
    for where, model in _models():
        if model is None:
            continue
        ctx = Context(model)
        by_host = ctx.guests_by_host
        for rule_cls in GUARDED:
            rule = rule_cls(ctx)
            kept = {id(h) for h, _ in ctx.hosts_for(rule_cls)}
            for h in model.hosts:
                if id(h) in kept or (h.hypervisor == "hyperv" and not rule_cls.hyperv):
                    continue
                hosts_seen += 1
                found = list(rule.host(h, by_host.get(h.name, [])))
                if found:
                    wrong.append(f"{where}: {rule_cls.code} skips host {h.name} but finds {found[0].message}")
    assert wrong == []
    assert hosts_seen > 1000  # the corpus gives the preconditions something to skip
