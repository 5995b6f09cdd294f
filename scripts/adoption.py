"""Bringing an existing project under the template, shared by adopt.py and cruft_to_copier.py.

Adoption renders the template twice with the same answers: once into a scratch directory, to
learn which files the template writes and which of them the project already has, then into
the project itself with every one of those existing paths given to Copier as
``skip_if_exists``, so Copier writes the rest and leaves the team's files as they are. The
project gets ``.copier-answers.yml`` like any generated project, and ``copier update`` works
from then on.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import copier
import yaml

ROOT = Path(__file__).resolve().parents[1]
ANSWERS_FILE = ".copier-answers.yml"
CRUFT_FILE = ".cruft.json"

#: Characters that mean something in a gitignore-style pattern (Copier's skip_if_exists).
_WILDCARDS = re.compile(r"([\\*?\[\]])")
#: Copier's messages when an answer fails a question's validator or choices.
_REFUSED_ANSWER = re.compile(r"for (?:question )?'(?P<key>[^']+)'")


class AdoptionError(Exception):
    """Why the project cannot be adopted as it is, and what to do; printed as it is."""


@dataclass
class Adoption:
    """What an adoption did to the project."""

    project: Path
    answers: dict[str, Any]
    #: Template files written into the project, relative to it.
    written: list[str] = field(default_factory=list)
    #: The team's files kept where the template has its own, different version.
    kept: list[str] = field(default_factory=list)
    #: The team's files that were already exactly the template's version.
    identical: list[str] = field(default_factory=list)
    #: Written files that the project's .gitignore hides from `git add`.
    ignored: list[str] = field(default_factory=list)


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)


def check_project(project: Path, *, cruft: bool = False) -> None:
    """Refuse a project that is not a clean git work tree, or that is already adopted.

    Adoption must be reviewable as a diff against the last commit, so the project must be
    in git with nothing uncommitted. ``cruft`` allows the .cruft.json of a cruft project.
    """
    if not project.is_dir():
        raise AdoptionError(f"{project} is not a directory.")
    if _git(project, "rev-parse", "--show-toplevel").returncode != 0:
        raise AdoptionError(
            f"{project} is not a git repository. Adoption is reviewed as a diff, so put the "
            "project under git first:\n"
            f"  cd {project} && git init && git add -A && git commit -m 'Before the template'"
        )
    status = _git(project, "status", "--porcelain", "--untracked-files=all", "--", ".")
    if status.returncode != 0 or status.stdout.strip():
        listed = "\n".join(f"  {line}" for line in status.stdout.splitlines()[:20])
        raise AdoptionError(
            f"{project} has uncommitted changes. Adoption is reviewed as a diff against your "
            "last commit, so commit or stash them first (`git add -A && git commit`, or "
            f"`git stash -u`):\n{listed}"
        )
    if (project / ANSWERS_FILE).exists():
        raise AdoptionError(
            f"{project} already has {ANSWERS_FILE}: it is already generated from a template. "
            "Bring in template changes with `copier update` instead."
        )
    if not cruft and (project / CRUFT_FILE).exists():
        raise AdoptionError(
            f"{project} has a {CRUFT_FILE}: it was made with cruft. Convert it with "
            "`uv run python scripts/cruft_to_copier.py`, which keeps its cookiecutter answers."
        )


def parse_data(items: Sequence[str]) -> dict[str, str]:
    """``--data key=value`` arguments as a mapping; Copier casts each value to its type."""
    data: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AdoptionError(f"--data takes key=value, not {item!r}.")
        data[key.strip()] = value
    return data


def refused_question(error: ValueError) -> str | None:
    """The question whose answer Copier refused in ``error``, if it names one."""
    found = _REFUSED_ANSWER.search(str(error))
    return found["key"] if found else None


def _skip_pattern(relative: str) -> str:
    """A skip_if_exists pattern that matches exactly ``relative`` from the project root."""
    escaped = "/" + _WILDCARDS.sub(r"\\\1", relative)
    # Copier renders patterns with Jinja before matching them.
    return "{% raw %}" + escaped + "{% endraw %}" if "{" in escaped else escaped


def _files(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if (path.is_file() or path.is_symlink()) and path.name != ANSWERS_FILE
    )


def _content(path: Path) -> bytes:
    """A file's bytes, or where a symlink points (it may point nowhere)."""
    return str(path.readlink()).encode() if path.is_symlink() else path.read_bytes()


def adopt(
    project: Path,
    *,
    template: str,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    defaults: bool,
    cruft: bool = False,
) -> Adoption:
    """Generate the template into ``project`` without overwriting any file it already has."""
    project = project.resolve()
    check_project(project, cruft=cruft)
    with TemporaryDirectory(prefix="adopt.") as scratch:
        # Same folder name, for templates that use _folder_name.
        render = Path(scratch) / project.name
        copier.run_copy(
            template,
            render,
            data=dict(data),
            defaults=defaults,
            vcs_ref=vcs_ref,
            quiet=True,
            unsafe=False,
        )
        answers: dict[str, Any] = yaml.safe_load((render / ANSWERS_FILE).read_text())
        rendered = _files(render)
        for relative in rendered:
            for parent in Path(relative).parents:
                if (project / parent).is_file():
                    raise AdoptionError(
                        f"{project / parent} is a file where the template has a folder "
                        f"(for {relative}); rename it and commit, then adopt again."
                    )
        existing = [
            name for name in rendered if (project / name).exists() or (project / name).is_symlink()
        ]
        identical = [
            name for name in existing if _content(project / name) == _content(render / name)
        ]
    before = {name: _content(project / name) for name in existing}
    copier.run_copy(
        template,
        project,
        data={key: value for key, value in answers.items() if not key.startswith("_")},
        defaults=True,
        vcs_ref=vcs_ref,
        skip_if_exists=[_skip_pattern(name) for name in existing],
        cleanup_on_error=False,
        quiet=True,
        unsafe=False,
    )
    changed = [name for name, content in before.items() if _content(project / name) != content]
    if changed:
        raise AdoptionError(
            "Copier changed files the project already had, which adoption must never do: "
            f"{', '.join(changed)}. Undo with `git checkout -- . && git clean -fd` and report it."
        )
    written = [name for name in rendered if name not in before]
    ignored = (
        _git(project, "check-ignore", "--no-index", "--", *written).stdout.splitlines()
        if written
        else []
    )
    return Adoption(
        project=project,
        answers=yaml.safe_load((project / ANSWERS_FILE).read_text()),
        written=written,
        kept=[name for name in existing if name not in identical],
        identical=identical,
        ignored=sorted(ignored),
    )


def _listing(title: str, names: Sequence[str]) -> list[str]:
    return [f"{title} ({len(names)}):", *(f"  {name}" for name in names), ""]


def report(adoption: Adoption) -> str:
    """What was written and kept, and the next steps, for the team to read."""
    answers = adoption.answers
    lines = [
        f"Adopted {adoption.project} from {answers['_src_path']} at {answers['_commit']}; "
        f"the answers are in {ANSWERS_FILE}.",
        "",
        *_listing("Template files written", adoption.written),
    ]
    if adoption.kept:
        lines += _listing(
            "Your files kept instead of the template's version (merge them by hand)",
            adoption.kept,
        )
    if adoption.identical:
        lines += _listing("Your files already identical to the template's", adoption.identical)
    if adoption.ignored:
        lines += _listing(
            "Written but ignored by your .gitignore (merge .gitignore, or `git add -f` them)",
            adoption.ignored,
        )
    package = answers.get("package_name", "<package>")
    lines += [
        "Next steps:",
        f"  1. Review what changed: cd {adoption.project} && git status && git diff",
        "  2. Move your work into the template's places: your dependencies into "
        f"pyproject.toml, your model code into src/{package}/model.py (copier update never "
        "overwrites it), and merge the kept files listed above. See docs/adopting.md.",
        "  3. Commit: git add -A && git commit -m 'Adopt the AI service template'",
        "  4. make setup",
        "  5. From now on `make update` (copier update) brings in new template releases.",
    ]
    if adoption.kept:
        skips = " ".join(f"--skip {name}" for name in adoption.kept)
        # Until the team's own Makefile is merged, it has no `update` target.
        update = (
            f"copier update --skip-answered {skips}"
            if "Makefile" in adoption.kept
            else f'make update UPDATE_ARGS="{skips}"'
        )
        lines.append(
            "     Until a kept file is merged, the template's changes to it come as conflicts; "
            f"`{update}` leaves them alone."
        )
    if Path(str(answers["_src_path"])).is_absolute():
        lines.append(
            f"Note: {ANSWERS_FILE} records the local path {answers['_src_path']}; adopt with "
            "--template <the template's git URL> so teammates and CI can update too."
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments both adoption commands take."""
    parser.add_argument(
        "project", type=Path, help="the project's directory (a clean git repository)"
    )
    parser.add_argument(
        "--template",
        default=str(ROOT),
        help="the template to adopt: a git URL or path (default: this repository)",
    )
    parser.add_argument(
        "--vcs-ref", default=None, help="the template's tag or commit (default: its latest tag)"
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a question; repeat for several",
    )
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="use the default answer of every question not answered with --data",
    )


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
