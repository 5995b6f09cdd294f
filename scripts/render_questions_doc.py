"""Write docs/questions.md, the reference of every question in copier.yml.

The questions are grouped as copier.yml groups them, under comment banners::

    # -----------------
    # Project
    # -----------------

Settings (keys starting with ``_``) are left out. Values that are never asked
(``when: false``) are listed apart, in a "Derived values" table with their expression.
The output depends only on copier.yml, so it can be checked in CI.

Run: uv run python scripts/render_questions_doc.py          (rewrite the file)
     uv run python scripts/render_questions_doc.py --check  (exit 1 when it is stale)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIER_YML = ROOT / "copier.yml"
OUTPUT = ROOT / "docs" / "questions.md"
COMMAND = "uv run python scripts/render_questions_doc.py"

#: Questions that come before any banner land in this group.
UNGROUPED = "Questions"
#: Types that Copier infers from the default's Python type when `type` is not given.
_INFERRED_TYPES = {"bool": "bool", "int": "int", "float": "float", "str": "str"}
#: Strings that Copier reads as false in `when` (see copier's cast_to_bool).
_FALSE_WORDS = frozenset({"", "0", "n", "no", "f", "false", "off", "~", "null", "none"})

_BANNER_RULE = re.compile(r"^#\s*-{3,}\s*$")
_BANNER_TITLE = re.compile(r"^#\s*(\S.*?)\s*$")
_TOP_LEVEL_KEY = re.compile(r"""^(?P<quote>["']?)(?P<key>[^\s:"'#][^:"']*)(?P=quote)\s*:""")


@dataclass(frozen=True)
class Choice:
    label: str
    value: Any


@dataclass(frozen=True)
class Question:
    key: str
    group: str
    type: str
    default: Any
    has_default: bool
    help: str
    choices: tuple[Choice, ...] | str
    has_validator: bool
    when: Any
    multiselect: bool
    secret: bool

    @property
    def asked(self) -> bool:
        """Whether Copier ever asks it; ``when: false`` marks a derived value."""
        return not _is_false(self.when)


def _is_false(when: Any) -> bool:
    if isinstance(when, bool):
        return not when
    if isinstance(when, int | float):
        return when == 0
    if isinstance(when, str):
        if "{{" in when or "{%" in when:
            return False
        return when.strip().lower() in _FALSE_WORDS
    return when is None


def parse_groups(text: str) -> dict[str, str]:
    """Map every top-level key of ``text`` to the title of the banner above it."""
    lines = text.splitlines()
    groups: dict[str, str] = {}
    group = UNGROUPED
    index = 0
    while index < len(lines):
        line = lines[index]
        if (
            _BANNER_RULE.match(line)
            and index + 2 < len(lines)
            and _BANNER_TITLE.match(lines[index + 1])
            and not _BANNER_RULE.match(lines[index + 1])
            and _BANNER_RULE.match(lines[index + 2])
        ):
            title = _BANNER_TITLE.match(lines[index + 1])
            assert title is not None
            group = title.group(1)
            index += 3
            continue
        match = _TOP_LEVEL_KEY.match(line)
        if match:
            groups.setdefault(match.group("key").strip(), group)
        index += 1
    return groups


def _choices(raw: Any) -> tuple[Choice, ...] | str:
    if raw is None:
        return ()
    if isinstance(raw, str):  # a Jinja expression that renders to a YAML list or mapping
        return raw
    pairs: list[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        pairs = [
            (item[0], item[1]) if isinstance(item, list | tuple) else (item, item) for item in raw
        ]
    choices = []
    for label, value in pairs:
        stored = value["value"] if isinstance(value, Mapping) and "value" in value else value
        choices.append(Choice(str(label), stored))
    return tuple(choices)


def _question(key: str, group: str, spec: Any) -> Question:
    if not isinstance(spec, Mapping):  # short form: `key: default`
        spec = {"default": spec}
    default = spec.get("default")
    type_name = spec.get("type") or _INFERRED_TYPES.get(type(default).__name__, "yaml")
    return Question(
        key=key,
        group=group,
        type=str(type_name),
        default=default,
        has_default="default" in spec,
        help=" ".join(str(spec.get("help") or "").split()),
        choices=_choices(spec.get("choices")),
        has_validator=bool(str(spec.get("validator") or "").strip()),
        when=spec.get("when", True),
        multiselect=bool(spec.get("multiselect", False)),
        secret=bool(spec.get("secret", False)),
    )


def load_questions(copier_yml: Path) -> list[Question]:
    """The questions of ``copier_yml`` in file order, settings left out."""
    text = copier_yml.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{copier_yml} does not hold a mapping of questions.")
    groups = parse_groups(text)
    return [
        _question(str(key), groups.get(str(key), UNGROUPED), spec)
        for key, spec in data.items()
        if not str(key).startswith("_")
    ]


def _code(value: str, in_table: bool = False) -> str:
    """``value`` as a Markdown code span (a pipe is escaped inside a table cell)."""
    if value == "" or value != value.strip():
        value = json.dumps(value)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if value.startswith("`") or value.endswith("`") else ""
    span = f"{fence}{padding}{value}{padding}{fence}"
    return span.replace("|", "\\|") if in_table else span


def _literal(value: Any) -> str:
    """How a value is written in copier.yml or on the command line."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def _text(value: str) -> str:
    """Plain help text, escaped so Markdown shows it as written."""
    value = re.sub(r"([\\`*\[\]<>|])", r"\\\1", value)
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", value)


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _render_question(question: Question) -> list[str]:
    lines = [f"### {_code(question.key)}", ""]
    if question.help:
        lines += [_text(question.help), ""]
    lines.append(
        f"- Type: {_code(question.type)}" + (", several answers" if question.multiselect else "")
    )
    if not question.has_default or question.default is None:
        lines.append("- Default: none")
    elif _is_template(question.default):
        lines.append(
            f"- Default: {_code(_literal(question.default))} (computed from earlier answers)"
        )
    else:
        lines.append(f"- Default: {_code(_literal(question.default))}")
    if isinstance(question.choices, str):
        lines.append(f"- Choices: computed by {_code(question.choices.strip())}")
    elif question.choices:
        lines.append("- Choices (label -> stored value):")
        lines += [
            f"  - {_text(choice.label)} -> {_code(_literal(choice.value))}"
            for choice in question.choices
        ]
    if not isinstance(question.when, bool):
        lines.append(f"- Asked only when: {_code(_literal(question.when))}")
    if question.secret:
        lines.append("- Secret: yes (the answer is hidden while typed)")
    lines.append(
        "- Validator: "
        + ("yes (a wrong answer is refused with a message)" if question.has_validator else "no")
    )
    lines.append("")
    return lines


def render(copier_yml: Path) -> str:
    """The full text of docs/questions.md for ``copier_yml``."""
    questions = load_questions(copier_yml)
    asked = [question for question in questions if question.asked]
    derived = [question for question in questions if not question.asked]
    lines = [
        "# Questions",
        "",
        f"<!-- Generated from copier.yml by `{COMMAND}`; do not edit by hand. -->",
        "",
        "`copier copy` asks these questions in this order. Each one can also be answered",
        "without a prompt, with `--data key=value` or in a file passed with `--data-file`.",
        "The answers are saved in `.copier-answers.yml`; `copier update` offers them as the",
        "defaults (and reuses them without asking with `--defaults`).",
        "",
    ]
    groups: dict[str, list[Question]] = {}
    for question in asked:
        groups.setdefault(question.group, []).append(question)
    for group, members in groups.items():
        lines += [f"## {_text(group)}", ""]
        for question in members:
            lines += _render_question(question)
    if derived:
        lines += [
            "## Derived values",
            "",
            "These are never asked: Copier computes them from the answers above and the",
            "template uses them like answers.",
            "",
            "| Key | Type | Value |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| {_code(question.key, in_table=True)} | {_code(question.type, in_table=True)} "
            f"| {_code(_literal(question.default), in_table=True)} |"
            for question in derived
        ]
        lines.append("")
    return "\n".join(lines)


def write(copier_yml: Path, output: Path) -> bool:
    """Render ``copier_yml`` into ``output``; return whether the file changed."""
    text = render(copier_yml)
    if output.is_file() and output.read_text(encoding="utf-8") == text:
        return False
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8", newline="\n")
    return True


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def check(copier_yml: Path, output: Path) -> str | None:
    """``None`` when ``output`` matches ``copier_yml``, else a message saying how to fix it."""
    current = output.read_text(encoding="utf-8") if output.is_file() else None
    if current == render(copier_yml):
        return None
    return f"{_display(output)} is out of date; run `{COMMAND}`"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs instead of writing it"
    )
    parser.add_argument("--copier-yml", type=Path, default=COPIER_YML, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=OUTPUT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        problem = check(args.copier_yml, args.output)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        return 0
    changed = write(args.copier_yml, args.output)
    print(f"{'Wrote' if changed else 'Unchanged:'} {_display(args.output)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
