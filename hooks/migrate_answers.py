"""Carry a project's answers over a renamed or removed question, for `copier update`.

Copier runs this from the template's `_migrations` (copier.yml), before it updates a project
from a release older than the one that renamed or removed the question, so an answers file
written by that release keeps working:

    migrate_answers.py .copier-answers.yml --rename old_name=new_name
    migrate_answers.py .copier-answers.yml --remove old_question
    migrate_answers.py .copier-answers.yml --rename-choice question:old_value=new_value

It runs with Copier's own interpreter (`_copier_python`), so it needs nothing Copier does not
(PyYAML). Running it twice changes nothing the second time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml


class MigrationError(Exception):
    """The answers file or an instruction cannot be used; the message says how to fix it."""


def _pair(text: str, separator: str, form: str) -> tuple[str, str]:
    left, found, right = text.partition(separator)
    if not (found and left and right):
        raise MigrationError(f"'{text}' is not of the form {form}")
    return left, right


def migrate(
    answers: dict[str, Any],
    *,
    renames: list[str],
    removals: list[str],
    choice_renames: list[str],
) -> tuple[dict[str, Any], list[str]]:
    """The answers with the instructions applied, in the same order, and what was done."""
    done: list[str] = []
    migrated = dict(answers)
    for instruction in renames:
        old, new = _pair(instruction, "=", "old_name=new_name")
        if old not in migrated:
            continue
        if new in migrated:
            migrated.pop(old)
            done.append(f"dropped {old}: {new} is already answered ({migrated[new]!r})")
            continue
        # The new name takes the old one's place, so the file reads in the same order.
        migrated = {new if key == old else key: value for key, value in migrated.items()}
        done.append(f"renamed {old} to {new} ({migrated[new]!r})")
    for name in removals:
        if name in migrated:
            done.append(f"removed {name} ({migrated.pop(name)!r}): the question is gone")
    for instruction in choice_renames:
        question, change = _pair(instruction, ":", "question:old_value=new_value")
        old, new = _pair(change, "=", "question:old_value=new_value")
        value = migrated.get(question)
        if value == old:
            migrated[question] = new
        elif isinstance(value, list) and old in value:
            migrated[question] = [new if item == old else item for item in value]
        else:
            continue
        done.append(f"changed {question}'s answer {old!r} to {new!r}")
    return migrated, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers_file", type=Path, help="the project's .copier-answers.yml")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("--remove", action="append", default=[], metavar="NAME")
    parser.add_argument("--rename-choice", action="append", default=[], metavar="QUESTION:OLD=NEW")
    arguments = parser.parse_args(argv)
    path: Path = arguments.answers_file
    try:
        if not path.is_file():
            raise MigrationError(
                f"{path} does not exist: run the update from the project's root, where "
                "Copier wrote the answers file"
            )
        text = path.read_text(encoding="utf-8")
        answers = yaml.safe_load(text)
        if not isinstance(answers, dict):
            raise MigrationError(f"{path} is not a mapping of answers; restore it from git")
        migrated, done = migrate(
            answers,
            renames=arguments.rename,
            removals=arguments.remove,
            choice_renames=arguments.rename_choice,
        )
    except (MigrationError, yaml.YAMLError) as error:
        print(f"Cannot migrate the answers: {error}", file=sys.stderr)
        return 1
    if done:
        header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        body = yaml.safe_dump(migrated, sort_keys=False, allow_unicode=True)
        path.write_text(header + body, encoding="utf-8")
    for line in done:
        print(f"{path}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
