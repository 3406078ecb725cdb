"""A guest rule's preconditions (Rule.when, Rule.guest_types) only skip guests on which the
rule finds nothing: every guarded guest rule runs, unfiltered, on every guest of the
examples, the rule cases and the host trees, and finds nothing where its preconditions
skip it. The checker runs it on the other guests only (Context.guests_for)."""
from __future__ import annotations

from operator import attrgetter

import pytest

from virtc import api
from virtc.checker import run_rules
from virtc.model import Model
from virtc.rules.base import Context, Rule, Scope
from virtc.ruleset import area_rules

from conftest import EXAMPLES
from test_host_preconditions import _models

GUEST_RULES = [r for r in area_rules() if r.scope is Scope.GUEST and r.run is Rule.run]
GUARDED = [r for r in GUEST_RULES if r.when or r.guest_types]


def test_the_guest_rules_that_look_at_few_guests_declare_it():
    # PCI devices, installs, services, roles, HVM or KVM only: about half of them
    assert len(GUARDED) >= len(GUEST_RULES) * 2 // 5


@pytest.mark.parametrize("rule", GUARDED, ids=lambda r: r.code)
def test_preconditions_name_guest_fields_and_types(rule):
    guest = api.check([str(EXAMPLES / "xen-webfarm.virt")]).model.guests[0]
    for name in rule.when:
        attrgetter(name)(guest)  # a misspelt field raises here
    assert set(rule.guest_types) <= {"xen-pv", "xen-hvm", "kvm", "hyperv"}


def test_a_skipped_guest_has_no_findings():
    wrong = []
    seen = 0
    for where, model in _models():
        if model is None:
            continue
        ctx = Context(model)
        for rule_cls in GUARDED:
            rule = rule_cls(ctx)
            kept = {id(g) for g in ctx.guests_for(rule_cls)}
            for g in model.guests:
                if id(g) in kept or (ctx.host_of(g).hypervisor == "hyperv" and not rule_cls.hyperv):
                    continue
                seen += 1
                found = list(rule.guest(g))
                if found:
                    wrong.append(f"{where}: {rule_cls.code} skips guest {g.name} but finds {found[0].message}")
    assert wrong == []
    assert seen > 5000  # the corpus gives the preconditions something to skip


def test_guests_for_keeps_the_model_order_and_filters_each_way():
    model = api.check([str(EXAMPLES / "xen-webfarm.virt")]).model
    ctx = Context(model)

    class Hvm(Rule):
        scope, guest_types = Scope.GUEST, ("xen-hvm",)

    class Stated(Rule):
        scope, when = Scope.GUEST, ("pci", "graphics")

    class Every(Rule):
        scope = Scope.GUEST

    assert ctx.guests_for(Every) == model.guests
    assert ctx.guests_for(Hvm) == tuple(g for g in model.guests if g.type == "xen-hvm")
    assert ctx.guests_for(Stated) == tuple(g for g in model.guests if g.pci or g.graphics)
    assert 0 < len(ctx.guests_for(Stated)) < len(model.guests)  # the example has both kinds


def test_run_rules_reports_what_unguarded_rules_report(monkeypatch):
    """The checker with the preconditions gives the findings, in the order, of every guest
    rule called on every guest."""
    models = [m for _, m in _models() if m is not None][:300]
    with_guards = [run_rules(m) for m in models]
    for cls in GUARDED:
        monkeypatch.setattr(cls, "when", ())
        monkeypatch.setattr(cls, "guest_types", ())
    without = [run_rules(m) for m in models]
    assert with_guards == without
    assert sum(map(len, without)) > 300


def test_an_empty_fleet_is_fine():
    assert run_rules(Model((), (), ())) == []
