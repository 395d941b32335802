"""`--junit FILE`: one test case per spec x property, in the JUnit XML that CI systems read.

A failed expectation is a <failure> whose text is the counterexample (or why the expectation
failed); an inconclusive result is an <error> (no verdict is not a pass); a cached verdict
says so in the test case's properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO

from ..atomic import write_atomic_with
from ..results import is_complete
from .expectations import FAILING, Outcome, explain
from .records import SpecRecord


def junit_xml(records: list[SpecRecord], strict: bool = False) -> ET.ElementTree:
    suites = ET.Element("testsuites", name="raceproof gate")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for record in records:
        suite = ET.SubElement(suites, "testsuite", name=record.spec)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        outcomes = record.outcomes(strict)
        for prop in record.properties:
            outcome = outcomes[prop.name]
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"raceproof.{record.name}",
                name=prop.name,
                file=record.spec,
                time=f"{0.0 if record.cached else prop.seconds:.3f}",
            )
            props = ET.SubElement(case, "properties")
            for key, value in (
                ("expected", prop.expected or ""),
                ("verdict", prop.verdict),
                # false for a bounded pass (holds_to_depth) or no verdict: a pass that covers only short behaviours
                ("complete", "true" if is_complete(prop.verdict) else "false"),
                ("outcome", outcome.value),
                ("cached", "true" if record.cached else "false"),
                *((f"report.{fmt}", path) for fmt, path in sorted(prop.reports.items())),
            ):
                ET.SubElement(props, "property", name=key, value=value)
            counts["tests"] += 1
            message = explain(prop, outcome)
            body = "\n\n".join(x for x in (message, prop.trace_text, _reports(prop.reports)) if x)
            if outcome in FAILING:
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=message, type=outcome.value).text = body
            elif outcome is Outcome.INCONCLUSIVE:
                counts["errors"] += 1
                ET.SubElement(case, "error", message=message, type="inconclusive").text = body
        if record.never_fired and strict:
            counts["tests"] += 1
            counts["failures"] += 1
            case = ET.SubElement(suite, "testcase", classname=f"raceproof.{record.name}", name="action_coverage")
            message = f"--strict: actions never fired: {', '.join(record.never_fired)}"
            ET.SubElement(case, "failure", message=message, type=Outcome.UNCOVERED.value).text = message
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{0.0 if record.cached else record.seconds:.3f}")
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return ET.ElementTree(suites)


def _reports(reports: dict[str, str]) -> str:
    return "reports: " + ", ".join(reports[k] for k in sorted(reports)) if reports else ""


def write_junit(path: Path, records: list[SpecRecord], strict: bool = False) -> None:
    tree = junit_xml(records, strict)

    def write(fh: IO[str]) -> None:
        # declared by hand: with encoding="unicode" ElementTree would declare the locale's encoding
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n')
        tree.write(fh, encoding="unicode")

    write_atomic_with(path, write)
