"""Wall time of `copier copy --defaults` of this template vs. a tiny one-file template.

Both are rendered in the same process, through copier's Python API (``run_copy`` with
``vcs_ref="HEAD"``, ``quiet=True``), into a fresh temporary directory each time, and
interleaved run by run so that machine noise hits both alike. The tiny template is a git
repository too, so both go through the same clone-then-render path; the ratio is what
this template costs on top of copier's fixed cost. Target for ours: median under 1.5 s.

Run: uv run python benchmarks/bench_generate.py [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from _common import (
    REPO_ROOT,
    Summary,
    add_run_counts,
    fmt_ratio,
    git_state,
    markdown_table,
    parse_run_counts,
    ratio,
    write_results,
)

TARGET_MEDIAN_S = 1.5

TINY_COPIER_YML = """\
greeting_name:
  type: str
  help: Whom to greet.
  default: world
"""
TINY_TEMPLATE_FILE = "Hello {{ greeting_name }}!\n"


def make_tiny_template(root: Path) -> Path:
    """A template with one question and one ``.jinja`` file, committed in a git repo."""
    template = root / "tiny-template"
    template.mkdir()
    (template / "copier.yml").write_text(TINY_COPIER_YML)
    (template / "hello.txt.jinja").write_text(TINY_TEMPLATE_FILE)
    git = [
        "git",
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run([*git, "init", "-q"], cwd=template, check=True)
    subprocess.run([*git, "add", "-A"], cwd=template, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tiny template"], cwd=template, check=True)
    return template


def copy_once(template: Path, scratch: Path) -> tuple[float, int]:
    """Render ``template`` into a new folder under ``scratch``; seconds and files written."""
    from copier import run_copy

    destination = Path(tempfile.mkdtemp(prefix="dst-", dir=scratch))
    try:
        with warnings.catch_warnings():
            # DirtyLocalWarning and friends: expected while the template has local edits.
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            run_copy(
                str(template), destination, defaults=True, vcs_ref="HEAD", quiet=True, unsafe=False
            )
            elapsed = time.perf_counter() - started
        files = sum(1 for path in destination.rglob("*") if path.is_file())
        if files == 0:
            raise RuntimeError(f"copier wrote nothing from {template}")
        return elapsed, files
    finally:
        shutil.rmtree(destination, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_counts(
        parser,
        runs=7,
        runs_help="Timed runs per template (default 7).",
        warmup_help="Untimed runs per template first (default 1).",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=REPO_ROOT,
        help="Template to measure as 'ours' (default: this repository).",
    )
    return parse_run_counts(parser)


def main() -> int:
    args = parse_args()
    ours_path: Path = args.template.resolve()
    samples: dict[str, list[float]] = {"ours": [], "tiny": []}
    files: dict[str, int] = {}

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as scratch_name:
        scratch = Path(scratch_name)
        templates = {"ours": ours_path, "tiny": make_tiny_template(scratch)}
        for _ in range(args.warmup):
            for template in templates.values():
                copy_once(template, scratch)
        for run in range(args.runs):
            # Alternate which template goes first, so neither always runs on a warmer cache.
            order = ["ours", "tiny"] if run % 2 == 0 else ["tiny", "ours"]
            for name in order:
                elapsed, written = copy_once(templates[name], scratch)
                samples[name].append(elapsed)
                files[name] = written
                print(f"run {run + 1}/{args.runs} {name}: {elapsed:.3f} s", file=sys.stderr)

    summaries = {name: Summary.of(values) for name, values in samples.items()}
    median_ratio = ratio(summaries["ours"].median, summaries["tiny"].median)
    min_ratio = ratio(summaries["ours"].min, summaries["tiny"].min)
    dirty = git_state(ours_path).get("dirty")
    labels = {
        "ours": f"ours ({ours_path.name}{', with uncommitted changes' if dirty else ''})",
        "tiny": "tiny (1 question, 1 .jinja file)",
    }
    rows = [
        [
            labels[name],
            str(files[name]),
            str(summary.n),
            f"{summary.median:.3f}",
            f"{summary.min:.3f}",
            f"{summary.max:.3f}",
        ]
        for name, summary in summaries.items()
    ]
    print(f"\n### copier copy --defaults (vcs_ref=HEAD), {args.runs} interleaved runs each\n")
    print(markdown_table(["template", "files", "runs", "median s", "min s", "max s"], rows))
    verdict = "met" if summaries["ours"].median < TARGET_MEDIAN_S else "NOT met"
    print(
        f"\nratio ours/tiny: {fmt_ratio(median_ratio)} (medians), {fmt_ratio(min_ratio)} (mins); "
        f"target for ours: median < {TARGET_MEDIAN_S} s -> {verdict} "
        f"({summaries['ours'].median:.3f} s)"
    )

    payload: dict[str, Any] = {
        "parameters": {"runs": args.runs, "warmup": args.warmup, "template": str(ours_path)},
        "samples_s": samples,
        "files_written": files,
        "summary_s": {name: summary.as_dict() for name, summary in summaries.items()},
        "ratio_ours_over_tiny": {"median": median_ratio, "min": min_ratio},
        "target": {"ours_median_s_below": TARGET_MEDIAN_S, "met": verdict == "met"},
    }
    print(f"\nresults: {write_results('bench_generate', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
