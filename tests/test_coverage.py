"""The checklist, the coverage table and the limits data stay consistent."""
from __future__ import annotations

import json
import re

import jsonschema

from virtc import coverage
from virtc.rules import all_rules, not_checkable
from virtc.schemas import load

from conftest import ROOT, SHARED, need_shared


def test_coverage_table_is_current():
    assert (ROOT / "compiler" / "rules" / "COVERAGE.md").read_text() == coverage.markdown(), \
        "run: python -m virtc.coverage > compiler/rules/COVERAGE.md"


def test_rules_and_reasons_name_real_checklist_items():
    ids = {i["id"] for i in load("checklist.json")["items"]}
    for rule in all_rules():
        assert set(rule.checklist) <= ids, rule.code
    reasons = not_checkable()
    assert set(reasons) <= ids
    implemented = {c for r in all_rules() for c in r.checklist}
    assert [i for i in reasons if i in implemented] == [], "an implemented item needs no reason"


def test_checklist_index_matches_the_guide_checklist():
    limits_md = need_shared(SHARED / "guide" / "limits.md").read_text()
    rows = re.findall(r"^\| ([A-Z]+-[0-9]{2}) \|.*\| (error|warning|info) \|$", limits_md, re.M)
    ours = [(i["id"], i["severity"]) for i in load("checklist.json")["items"]]
    assert ours == rows and len(ours) == 400


def test_limits_data_is_valid_and_used():
    data = json.loads((ROOT / "schemas" / "limits.json").read_text())
    jsonschema.validate(data, load("limits.schema.json"))
    keys = set(data["limits"])
    used = {k for r in all_rules() for k in r.uses}
    assert used - keys == set(), "rules use limits that do not exist"
    assert keys - used == set(), "limits no rule uses"
