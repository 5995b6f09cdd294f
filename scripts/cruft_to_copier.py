"""Move a project made with cookiecutter and cruft to this template and `copier update`.

Reads the project's .cruft.json, maps the cookiecutter answers it can onto this template's
questions, checks them with the template's own validators, asks for the rest (unless
--defaults), then adopts the project as scripts/adopt.py does: the template's files are
written around the project's, none of which is overwritten, and the answers go into
.copier-answers.yml. .cruft.json is removed so that the project has one source of truth
(--keep-cruft-json keeps it).

Run: uv run python scripts/cruft_to_copier.py PROJECT_DIR [--template SRC] [--vcs-ref REF]
                                              [--defaults] [--data key=value ...]
                                              [--keep-cruft-json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import copier
from adoption import (
    ANSWERS_FILE,
    CRUFT_FILE,
    AdoptionError,
    add_arguments,
    adopt,
    check_project,
    fail,
    parse_data,
    refused_question,
    report,
)

#: For each question of the template, the cookiecutter keys that answer it, best first: the
#: names cookiecutter-pypackage, cookiecutter-data-science and similar templates use.
QUESTION_KEYS: dict[str, tuple[str, ...]] = {
    "project_name": ("project_name", "name", "project_title"),
    "project_slug": ("project_slug", "repo_name", "slug", "distribution_name"),
    "package_name": ("package_name", "module_name", "project_module", "import_name"),
    "description": ("description", "project_short_description", "short_description"),
    "author_name": ("author_name", "author", "full_name"),
    "author_email": ("author_email", "email"),
    "license": ("license", "open_source_license"),
    "python_version": ("python_version", "python", "min_python_version"),
}

#: Common cookiecutter license strings, normalised by ``_license_words``, and this
#: template's choice for each.
LICENSES: dict[str, str] = {
    "mit": "MIT",
    "apache 2 0": "Apache-2.0",
    "apache version 2 0": "Apache-2.0",
    "apache v2": "Apache-2.0",
    "apache": "Apache-2.0",
    "bsd": "BSD-3-Clause",
    "bsd 3 clause": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "modified bsd": "BSD-3-Clause",
    "proprietary": "Proprietary",
    "not open source": "Proprietary",
    "closed source": "Proprietary",
    "all rights reserved": "Proprietary",
}
_LICENSE_NOISE = {"license", "licence", "software", "the"}


@dataclass
class AnswerMapping:
    """How a cruft project's cookiecutter answers map onto the template's questions."""

    #: question -> (cookiecutter key, cookiecutter value, the value for the question).
    mapped: dict[str, tuple[str, Any, Any]] = field(default_factory=dict)
    #: cookiecutter key -> why it was not used.
    unmapped: dict[str, str] = field(default_factory=dict)


def _license_words(value: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", value.lower()).split()
    return " ".join(word for word in words if word not in _LICENSE_NOISE)


def convert_value(question: str, value: Any) -> Any:
    """A cookiecutter value in the form the question takes; unknown forms pass through."""
    text = str(value).strip()
    if question == "license":
        return LICENSES.get(_license_words(text), text)
    if question == "python_version":
        found = re.match(r"^\D*(\d+)\.(\d+)", text)
        return f"{found[1]}.{found[2]}" if found else text
    return text


def map_context(context: Mapping[str, Any]) -> AnswerMapping:
    """Map a cookiecutter context (.cruft.json's context.cookiecutter) onto the questions."""
    result = AnswerMapping()
    used: set[str] = set()
    for question, keys in QUESTION_KEYS.items():
        for key in keys:
            value = context.get(key)
            if value is None or isinstance(value, dict | list) or key in used:
                continue
            if question in result.mapped:
                result.unmapped[key] = (
                    f"{question} is already answered by {result.mapped[question][0]}"
                )
            else:
                result.mapped[question] = (key, value, convert_value(question, value))
            used.add(key)
    for key in context:
        # Keys starting with an underscore are cookiecutter's own (_template, _commit, ...).
        if key not in used and not key.startswith("_"):
            result.unmapped[key] = "no question of the template answers it"
    return result


def refused_answers(
    template: str, vcs_ref: str | None, candidates: Mapping[str, Any], fixed: Mapping[str, Any]
) -> dict[str, str]:
    """The candidate answers the template's questions refuse, each with Copier's message.

    Copier checks every answer given as data against its question's choices and validator;
    a dry run (``pretend``) with the defaults for the rest finds the first refusal, which is
    set aside and the run repeated until the rest pass. ``fixed`` answers (the user's
    ``--data``) are never set aside: their refusal is an error.
    """
    remaining = dict(candidates)
    refused: dict[str, str] = {}
    with TemporaryDirectory(prefix="cruft-probe.") as scratch:
        while True:
            try:
                copier.run_copy(
                    template,
                    Path(scratch) / "probe",
                    data={**remaining, **fixed},
                    defaults=True,
                    vcs_ref=vcs_ref,
                    pretend=True,
                    quiet=True,
                    unsafe=False,
                )
            except ValueError as error:
                question = refused_question(error)
                if question not in remaining or question in fixed:
                    raise
                refused[question] = str(error)
                del remaining[question]
                continue
            return refused


def read_cruft(project: Path) -> dict[str, Any]:
    path = project / CRUFT_FILE
    if not path.is_file():
        raise AdoptionError(
            f"{project} has no {CRUFT_FILE}. For a project not made with cruft, use "
            "`uv run python scripts/adopt.py`."
        )
    cruft: dict[str, Any] = json.loads(path.read_text())
    context = cruft.get("context", {}).get("cookiecutter")
    if not isinstance(context, dict):
        raise AdoptionError(f"{path} has no context.cookiecutter answers to convert.")
    return cruft


def describe(mapping: AnswerMapping, refused: Mapping[str, str], overridden: Sequence[str]) -> str:
    lines = ["Cookiecutter answers mapped onto the template's questions:"]
    for question, (key, value, converted) in mapping.mapped.items():
        shown = f"{converted!r}" if converted == value else f"{converted!r} (from {value!r})"
        note = ""
        if question in overridden:
            note = "  [replaced by your --data]"
        elif question in refused:
            note = f"  [refused: {refused[question]}]"
        lines.append(f"  {key} -> {question} = {shown}{note}")
    if not mapping.mapped:
        lines.append("  (none)")
    lines.append("Cookiecutter answers not mapped:")
    lines += [f"  {key}: {why}" for key, why in mapping.unmapped.items()] or ["  (none)"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    parser.add_argument(
        "--keep-cruft-json",
        action="store_true",
        help=f"keep {CRUFT_FILE} (by default it is removed: .copier-answers.yml replaces it)",
    )
    args = parser.parse_args(argv)
    project: Path = args.project.resolve()
    try:
        check_project(project, cruft=True)
        cruft = read_cruft(project)
        data = parse_data(args.data)
        mapping = map_context(cruft["context"]["cookiecutter"])
        candidates = {
            question: converted
            for question, (_, _, converted) in mapping.mapped.items()
            if question not in data
        }
        refused = refused_answers(args.template, args.vcs_ref, candidates, data)
        print(describe(mapping, refused, sorted(set(mapping.mapped) & set(data))))
        print(f"Cruft template: {cruft.get('template')} at {cruft.get('commit')}\n")
        if refused and args.defaults:
            fixes = " ".join(f"--data {question}=..." for question in refused)
            return fail(
                "the template refuses these cookiecutter answers, and --defaults cannot ask "
                f"for them: {', '.join(refused)}. Give valid ones: {fixes}"
            )
        if refused:
            print(f"You will be asked again for: {', '.join(refused)}.\n")
        adoption = adopt(
            project,
            template=args.template,
            vcs_ref=args.vcs_ref,
            data={**{k: v for k, v in candidates.items() if k not in refused}, **data},
            defaults=args.defaults,
            cruft=True,
        )
    except AdoptionError as error:
        return fail(str(error))
    except ValueError as error:
        return fail(f"{error}\nAnswer it with --data KEY=VALUE.")
    if not args.keep_cruft_json:
        (project / CRUFT_FILE).unlink()
        print(f"Removed {CRUFT_FILE}: {ANSWERS_FILE} replaces it.\n")
    print(report(adoption))
    return 0


if __name__ == "__main__":
    sys.exit(main())
