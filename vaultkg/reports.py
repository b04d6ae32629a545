"""Render a :class:`ValidationReport` as text, JSON, JUnit XML, GitHub workflow commands, SARIF
2.1.0 or Turtle (SHACL results with their note lines)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from converters.vocab import RDF_TYPE

from . import __version__
from .jsontext import json_text
from .reportformat import ReportFormat
from .validation import Finding, ValidationReport, rank
from .wording import counted
from .writers import rdf_bytes

_GITHUB_LEVEL = {"violation": "error", "warning": "warning", "info": "notice"}
_SARIF_LEVEL = {"violation": "error", "warning": "warning", "info": "note"}


def _where(report: ValidationReport, finding: Finding) -> str:
    prefix = report.vault.rstrip("/")
    path = finding.path if finding.path else "(vault)"
    shown = path if prefix in ("", ".") or finding.path is None else f"{prefix}/{path}"
    return f"{shown}:{finding.line}"


def summary_line(report: ValidationReport) -> str:
    s = report.summary()
    return (
        f"validated {counted(s['notes'], 'note')}: {counted(s['violations'], 'violation')}, "
        f"{counted(s['warnings'], 'warning')}, {counted(s['infos'], 'info')} in {s['seconds']:.2f} s"
    )


def finding_line(report: ValidationReport, finding: Finding) -> str:
    """``path:line: severity: message [rule]``."""
    return f"{_where(report, finding)}: {finding.severity}: {finding.message} [{finding.rule}]"


def render_text(report: ValidationReport, fail_on: str = "violation") -> str:
    """``path:line: severity: message [rule]``, grouped by note, then a summary line."""
    lines: list[str] = []
    current: object = object()
    for f in report.findings:
        if f.path != current and lines:
            lines.append("")
        current = f.path
        lines.append(finding_line(report, f))
    if lines:
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def render_json(report: ValidationReport, fail_on: str = "violation") -> str:
    data = {"vaultkg": __version__, **report.as_dict()}
    data["summary"].pop("seconds", None)  # keep the file the same for the same vault
    return json_text(data)


def _github_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: ValidationReport, fail_on: str = "violation") -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…,title=…::message``."""
    out = []
    for f in report.findings:
        file = _where(report, f).rsplit(":", 1)[0]
        props = f"file={_github_escape(file, True)},line={max(f.line, 1)},title={_github_escape(f.rule, True)}"
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {props}::{_github_escape(f.message)}")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def render_sarif(report: ValidationReport, fail_on: str = "violation") -> str:
    """SARIF 2.1.0: one rule per shape or check, one result per finding with its location."""
    rule_ids = sorted({f.rule for f in report.findings} | set(report.rules))
    index = {rule: i for i, rule in enumerate(rule_ids)}
    rules = []
    for rule in rule_ids:
        meta = report.rules.get(rule, {"name": rule, "description": "", "level": "warning"})
        rules.append(
            {
                "id": rule,
                "name": meta["name"],
                "shortDescription": {"text": meta["name"]},
                "fullDescription": {"text": meta["description"] or meta["name"]},
                "defaultConfiguration": {"level": _SARIF_LEVEL[meta["level"]]},
            }
        )
    results = []
    for f in report.findings:
        result: dict = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
        }
        if f.path is not None:
            result["locations"] = [
                {
                    "physicalLocation": {
                        # a URI reference: spaces, "#", "%", "<" … and non-ASCII percent-encoded
                        "artifactLocation": {"uri": quote(_where(report, f).rsplit(":", 1)[0], safe="/")},
                        "region": {"startLine": max(f.line, 1)},
                    }
                }
            ]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "vaultkg",
                        "version": __version__,
                        "informationUri": "https://w3id.org/vaultkg",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json_text(sarif)


def render_junit(report: ValidationReport, fail_on: str = "violation") -> str:
    """JUnit XML, one test case per note; findings at or above ``fail_on`` are failures."""
    by_note: dict[str, list[Finding]] = {path: [] for path in report.paths}
    for f in report.findings:
        by_note.setdefault(f.path or "(vault)", []).append(f)
    failing = {id(f) for f in report.at_or_above(fail_on)}
    suite = ET.Element("testsuite", name="vaultkg validate")
    failures = 0
    for note in sorted(by_note):
        case = ET.SubElement(suite, "testcase", classname="vaultkg", name=note)
        bad = [f for f in by_note[note] if id(f) in failing]
        if bad:
            failures += 1
            failure = ET.SubElement(case, "failure", message=bad[0].message, type=bad[0].severity)
            failure.text = "\n".join(f"{_where(report, f)}: {f.severity}: {f.message} [{f.rule}]" for f in bad)
        rest = [f for f in by_note[note] if id(f) not in failing]
        if rest:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{_where(report, f)}: {f.severity}: {f.message} [{f.rule}]" for f in rest)
    suite.set("tests", str(len(by_note)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    root = ET.Element("testsuites", name="vaultkg", tests=str(len(by_note)), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_turtle(report: ValidationReport, fail_on: str = "violation") -> str:
    """A SHACL validation report in Turtle, each result with the note path and line."""
    import pyoxigraph as ox

    sh = "http://www.w3.org/ns/shacl#"
    vkg = "https://w3id.org/vaultkg#"
    level = {"violation": "Violation", "warning": "Warning", "info": "Info"}
    report_iri = ox.NamedNode("urn:vaultkg:validation")
    triples = [
        ox.Triple(report_iri, RDF_TYPE, ox.NamedNode(sh + "ValidationReport")),
        ox.Triple(
            report_iri,
            ox.NamedNode(sh + "conforms"),
            ox.Literal(
                str(not report.at_or_above("violation")).lower(),
                datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"),
            ),
        ),
    ]
    for i, f in enumerate(report.findings, start=1):
        r = ox.NamedNode(f"urn:vaultkg:validation:result:{i}")
        triples += [
            ox.Triple(report_iri, ox.NamedNode(sh + "result"), r),
            ox.Triple(r, RDF_TYPE, ox.NamedNode(sh + "ValidationResult")),
            ox.Triple(r, ox.NamedNode(sh + "resultSeverity"), ox.NamedNode(sh + level[f.severity])),
            ox.Triple(r, ox.NamedNode(sh + "resultMessage"), ox.Literal(f.message)),
            ox.Triple(r, ox.NamedNode(vkg + "rule"), ox.Literal(f.rule)),
            ox.Triple(
                r,
                ox.NamedNode(vkg + "line"),
                ox.Literal(str(f.line), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            ),
        ]
        if f.path is not None:
            triples.append(ox.Triple(r, ox.NamedNode(vkg + "path"), ox.Literal(f.path)))
        if f.focus and _is_iri(f.focus):
            triples.append(ox.Triple(r, ox.NamedNode(sh + "focusNode"), ox.NamedNode(f.focus)))
        if f.value is not None:
            value = _term(f.value_term) if f.value_term else None
            if value is None:  # a finding without the value's term: its text
                value = ox.NamedNode(f.value) if _is_iri(f.value) else ox.Literal(f.value)
            triples.append(ox.Triple(r, ox.NamedNode(sh + "value"), value))
        for prop, iri in (("sourceConstraintComponent", f.component), ("sourceShape", f.shape),
                          ("resultPath", f.result_path)):  # fmt: skip
            if iri is not None:  # of SHACL results only (a property shape without an IRI has none)
                triples.append(ox.Triple(r, ox.NamedNode(sh + prop), ox.NamedNode(iri)))
    return rdf_bytes(triples, ox.RdfFormat.TURTLE, {"sh": sh, "vkg": vkg}).decode("utf-8")


def _term(ntriples: str) -> Any:
    """An IRI or literal from its N-Triples form (``None`` if it is neither)."""
    import pyoxigraph as ox

    try:
        quad = next(iter(ox.parse(f"<urn:s> <urn:p> {ntriples} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
    except (SyntaxError, StopIteration):
        return None
    return quad.object


def _is_iri(text: str) -> bool:
    import pyoxigraph as ox

    if ":" not in text:
        return False
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


RENDERERS: dict[ReportFormat, Callable[[ValidationReport, str], str]] = {
    ReportFormat.TEXT: render_text,
    ReportFormat.JSON: render_json,
    ReportFormat.JUNIT: render_junit,
    ReportFormat.GITHUB: render_github,
    ReportFormat.SARIF: render_sarif,
    ReportFormat.TURTLE: render_turtle,
}


def render(report: ValidationReport, fmt: ReportFormat, fail_on: str = "violation") -> str:
    return RENDERERS[fmt](report, fail_on)


__all__ = ["ReportFormat", "finding_line", "rank", "render", "summary_line"]
