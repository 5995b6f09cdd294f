"""The scorecard as a terminal table and as readiness-report.md."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime

from .checks import Item
from .rubric import TESTS, Score, final_score, section_scores

#: How the paper reads a final score: the upper bound of each band and its name.
BANDS = (
    (0.0, "a research project"),
    (1.0, "barely tested"),
    (2.0, "a first pass at production"),
    (3.0, "reasonably tested"),
    (5.0, "strong"),
)


def verdict(final: float) -> str:
    for bound, name in BANDS:
        if final <= bound:
            return name
    return "exceptional"


def status(item: Item) -> str:
    if item.passed:
        return "pass"
    if item.kind == "manual":
        return "OWED" if item.blocker else "owed"
    return "FAIL" if item.blocker else "fail"


def blockers(items: Sequence[Item]) -> list[Item]:
    return [item for item in items if item.blocker and not item.passed]


def _points(value: float) -> str:
    return f"{value:g}"


def terminal(project: str, now: datetime, items: Sequence[Item], scores: Sequence[Score]) -> str:
    """The scorecard for a terminal: one line per item, what to do under each open one."""
    width = max(len(item.key) for item in items)
    lines = [f"Production readiness of {project}, {now:%Y-%m-%d %H:%M} UTC", ""]
    for item in items:
        prefix = f"  {status(item):<5} {item.key:<{width}}  "
        indent = " " * len(prefix)
        kind = "" if item.kind == "machine" else "(by hand) "
        wrapped = textwrap.wrap(kind + item.detail, 100 - len(prefix)) or [""]
        lines.append(prefix + wrapped[0])
        lines.extend(indent + line for line in wrapped[1:])
        if item.fix:
            fix = textwrap.wrap("-> " + item.fix, 100 - len(indent))
            lines.extend(indent + line for line in fix)
    sections = section_scores(scores)
    final = final_score(scores)
    automated = sum(1 for entry in scores if entry.test.automated_by)
    lines += [
        "",
        "ML Test Score: "
        + ", ".join(f"{name} {_points(value)}" for name, value in sections.items())
        + f"; final {_points(final)} (the lowest section: {verdict(final)}).",
        f"{automated} of {len(TESTS)} tests are automated in this project.",
        "",
    ]
    open_blockers = blockers(items)
    if open_blockers:
        names = ", ".join(item.key for item in open_blockers)
        lines.append(f"NOT READY: {len(open_blockers)} blocker(s): {names}.")
    else:
        lines.append("READY: no blocker left.")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(project: str, now: datetime, items: Sequence[Item], scores: Sequence[Score]) -> str:
    """readiness-report.md: the items, what to do about each open one, and the rubric."""
    open_blockers = blockers(items)
    sections = section_scores(scores)
    final = final_score(scores)
    automated = sum(1 for entry in scores if entry.test.automated_by)
    lines = [
        f"# Production readiness of {project}",
        "",
        f"Checked by `make readiness` on {now:%Y-%m-%d %H:%M} UTC. The checklist and the boxes"
        " ticked by hand are in docs/readiness.md.",
        "",
    ]
    if open_blockers:
        lines.append(
            f"**Not ready: {len(open_blockers)} blocker(s):"
            f" {', '.join(item.key for item in open_blockers)}.**"
        )
    else:
        lines.append("**Ready: no blocker left.**")
    lines += [
        "",
        f"ML Test Score: **{_points(final)}** ({verdict(final)}); {automated} of {len(TESTS)}"
        " tests automated.",
        "",
        "## Items",
        "",
        "| Status | Item | Checked | Found | To do |",
        "| --- | --- | --- | --- | --- |",
    ]
    for item in items:
        checked = "by a machine" if item.kind == "machine" else "by hand"
        lines.append(
            f"| {status(item)} | {_cell(item.title)} (`{item.key}`) | {checked}"
            f" | {_cell(item.detail)} | {_cell(item.fix)} |"
        )
    lines += [
        "",
        "## ML Test Score",
        "",
        "Breck et al., *The ML Test Score: A Rubric for ML Production Readiness and Technical"
        " Debt Reduction* (IEEE Big Data 2017). A test scores 1 when automated and passing, 0.5"
        " when done by hand, 0 otherwise; the final score is the lowest section score.",
        "",
        "| Section | Score |",
        "| --- | --: |",
        *(f"| {name} | {_points(value)} |" for name, value in sections.items()),
        f"| **Final** (lowest) | **{_points(final)}** |",
        "",
        "| Test | Section | How this project does it | State | Points |",
        "| --- | --- | --- | --- | --: |",
    ]
    for entry in scores:
        test = entry.test
        lines.append(
            f"| {test.key} {_cell(test.test)} | {test.section} | {_cell(test.how)}"
            f" | {entry.state} | {_points(entry.points)} |"
        )
    return "\n".join(lines) + "\n"
