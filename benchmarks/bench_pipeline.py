"""The data pipeline on 1,000,000 records with 5% bad ones, next to pandas + pandera.

Generates a project with default answers (or takes ``--project``) and writes a synthetic
CSV in the format of its sample ``data/raw/customers.csv``: ``--rows`` records (1,000,000),
``--bad-share`` of them (5%) bad in one of seven ways, in about equal parts: a number out
of range, an unknown category, an unparseable number, a missing required value, a
duplicate key (an older copy of a valid record), a row with an extra field, a bad
timestamp. Each bad record breaks exactly one rule, so the generator knows what a correct
run must report. Then, for each of ``--rounds`` rounds, alternating which goes first, each
in a fresh process with interpreter start-up and imports included:

- **ours**: ``make pipeline INPUT=<dir>`` in the generated project (``uv run <slug>
  pipeline``: ``run_pipeline`` on the embedded engine, Ibis on DuckDB), into a new output
  directory every time;
- **baseline**: plain pandas + pandera doing the same job (this file, ``_baseline``, in a
  virtual environment of its own with the project's pandas, NumPy and pyarrow plus
  pandera): read the CSV keeping rows that do not parse, cast, validate against the same
  contract written as a pandera schema, split valid records from the quarantine with every
  (field, rule, value) a record breaks, keep the newest record per key, write both to
  Parquet;
- the interpreter start-up and imports alone of each: the fixed cost inside the above.

Reported: wall seconds (median, min-max), rows/s, peak RSS (``wait4``: the process and the
children it waited for), the ratio to the baseline, and whether the counts are right: in =
out + quarantined, and the quarantine per (field, rule) exactly as the generator planted
it, for both.

Target: ours under 5 s median on 2 cores, and ahead of the baseline.

Run: uv run python benchmarks/bench_pipeline.py [--rounds 5] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    BenchError,
    Processes,
    Summary,
    add_keep_dont_write_bytecode,
    bytecode_note,
    child_env,
    fmt_ratio,
    generate_project,
    markdown_table,
    ratio,
    require_tool,
    run_checked,
    run_main,
)

THIS_SCRIPT = Path(__file__).resolve()
TARGET_S = 5.0
RUN_TIMEOUT_S = 600
SEED = 20261126

# The sample's raw format (data/raw/customers.csv of a generated project).
HEADER = (
    "customer_id",
    "tenure_months",
    "monthly_charges",
    "support_tickets_90d",
    "contract_type",
    "payment_method",
    "region",
    "updated_at",
    "churned",
)
CONTRACT_TYPES = ("month_to_month", "one_year", "two_year")
PAYMENT_METHODS = ("card", "bank_transfer", "invoice")
REGIONS = ("north", "south", "east", "west")
START = 1_767_225_600  # 2026-01-01T00:00:00Z; records are spread over the 300 days after it
SPREAD_S = 300 * 86_400

# The ways a record is bad: (field, rule the pipeline reports, raw text written). Each bad
# record has exactly one defect, so it breaks exactly one rule.
DEFECTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "out of range": (
        ("tenure_months", "max:600", "601"),
        ("monthly_charges", "min:0", "-5.00"),
        ("support_tickets_90d", "max:1000", "1001"),
        ("monthly_charges", "max:10000", "10000.01"),
    ),
    "unknown category": (
        ("contract_type", "one_of:month_to_month|one_year|two_year", "weekly"),
        ("payment_method", "one_of:card|bank_transfer|invoice", "cash"),
        ("churned", "one_of:0|1", "2"),
    ),
    "unparseable number": (
        ("tenure_months", "type:int", "twelve"),
        ("monthly_charges", "type:float", '"12,50"'),  # quoted: a comma inside the field
        ("support_tickets_90d", "type:int", "3.5"),
    ),
    "missing required value": (
        ("payment_method", "required", ""),
        ("updated_at", "required", ""),
        ("customer_id", "required", ""),
        ("tenure_months", "required", " "),
    ),
    "duplicate key": (("customer_id", "duplicate_key", ""),),  # an older copy of a valid record
    "extra field": (("(row)", "malformed", ""),),  # one field more than the header
    "bad timestamp": (
        ("updated_at", "type:datetime", "2026-13-45T25:61:00Z"),
        ("updated_at", "type:datetime", "yesterday"),
        ("updated_at", "type:datetime", "2026-02-30T10:00:00Z"),
    ),
}


# ----------------------------------------------------------------------------------------
# The data
# ----------------------------------------------------------------------------------------


def _timestamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def synthesize(path: Path, rows: int, bad_share: float, seed: int = SEED) -> dict[str, Any]:
    """Write ``rows`` records to the CSV ``path``; what a correct pipeline must make of them.

    Deterministic for a given seed. Bad records are spread at random over the file; the
    defects take turns, so each kind is about a seventh of them.
    """
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    bad_rows = rng.sample(range(rows), round(rows * bad_share))
    kinds = list(DEFECTS)
    defect_of = {row: kinds[index % len(kinds)] for index, row in enumerate(bad_rows)}
    variant_of = {row: index // len(kinds) for index, row in enumerate(bad_rows)}
    stamps = [START + rng.randrange(SPREAD_S) for _ in range(rows)]
    valid_rows = [row for row in range(rows) if row not in defect_of]
    by_rule: Counter[str] = Counter()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for row in range(rows):
            fields = [
                f"C{row:08d}",
                str(rng.randrange(601)),
                f"{rng.uniform(0, 500):.2f}",
                str(rng.randrange(20)),
                rng.choice(CONTRACT_TYPES),
                rng.choice(PAYMENT_METHODS),
                rng.choice(REGIONS),
                _timestamp(stamps[row]),
                str(rng.randrange(2)),
            ]
            kind = defect_of.get(row)
            extra = ""
            if kind is not None:
                variants = DEFECTS[kind]
                field, rule, text = variants[variant_of[row] % len(variants)]
                by_rule[f"{field}: {rule}"] += 1
                if kind == "duplicate key":
                    original = rng.choice(valid_rows)
                    fields[0] = f"C{original:08d}"
                    fields[7] = _timestamp(stamps[original] - 86_400)
                elif kind == "extra field":
                    extra = ",surplus"
                else:
                    fields[HEADER.index(field)] = text
            out.write(",".join(fields) + extra + "\n")
    return {
        "records_in": rows,
        "records_out": rows - len(bad_rows),
        "records_quarantined": len(bad_rows),
        "quarantine_by_rule": dict(sorted(by_rule.items())),
        "defects": dict(Counter(defect_of.values())),
        "bytes": path.stat().st_size,
    }


# ----------------------------------------------------------------------------------------
# The baseline: pandas + pandera, run in its own environment as `_baseline <csv> <out>`
# ----------------------------------------------------------------------------------------


def baseline_main(argv: list[str]) -> int:
    """Validate the CSV ``argv[0]`` with pandas + pandera into Parquet files in ``argv[1]``.

    The same job as the pipeline, with the same contract written as a pandera schema:
    values are read as strings, trimmed, blanks are missing; a row with the wrong number of
    fields is malformed; numbers and timestamps are cast first (pandera's ``coerce`` would
    turn one unparseable value into a column-level error and let other bad rows through),
    and a value that does not cast is a type error with the raw text as its value. Every
    broken rule of a row is one reason. Of the valid records, the newest per key stays.
    """
    import pandas as pd
    import pandera.pandas as pa
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    source, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    ints, floats, stamps = (
        ("tenure_months", "support_tickets_90d", "churned"),
        ("monthly_charges",),
        ("updated_at",),
    )
    fields = tuple(name for name in HEADER if name != "region")  # the contract's columns
    kinds = {
        **dict.fromkeys(ints, "int"),
        **dict.fromkeys(floats, "float"),
        "updated_at": "datetime",
    }
    # The exact type the cast gives: on any other, pandera's dtype check converts every
    # value in Python to find the ones that do not fit (seconds per million).
    timestamp = pd.DatetimeTZDtype("us", "UTC")

    def check(name: str, test: Any) -> Any:
        return pa.Check(test, name=name)

    def one_of(values: tuple[Any, ...]) -> Any:
        return check("one_of:" + "|".join(map(str, values)), lambda s: s.isin(values))

    schema = pa.DataFrameSchema(
        {
            "customer_id": pa.Column(
                checks=[
                    check("min_length:1", lambda s: s.str.len() >= 1),
                    check("max_length:64", lambda s: s.str.len() <= 64),
                    check(r"pattern:^\S+$", lambda s: s.str.contains(r"^\S+$")),
                ]
            ),
            "tenure_months": pa.Column(
                "Int64", [check("min:0", lambda s: s >= 0), check("max:600", lambda s: s <= 600)]
            ),
            "monthly_charges": pa.Column(
                "float64",
                [
                    check("finite", lambda s: ~s.isin([float("inf"), float("-inf")])),
                    check("min:0", lambda s: s >= 0),
                    check("max:10000", lambda s: s <= 10_000),
                ],
            ),
            "support_tickets_90d": pa.Column(
                "Int64", [check("min:0", lambda s: s >= 0), check("max:1000", lambda s: s <= 1000)]
            ),
            "contract_type": pa.Column(checks=[one_of(CONTRACT_TYPES)]),
            "payment_method": pa.Column(checks=[one_of(PAYMENT_METHODS)]),
            "updated_at": pa.Column(timestamp),
            "churned": pa.Column("Int64", [one_of((0, 1))]),
        },
        strict=False,
    )

    malformed: list[str] = []

    def keep_malformed(row: Any) -> str:
        malformed.append(row.text)
        return "skip"

    frame = pd.read_csv(
        source,
        dtype=str,
        keep_default_na=False,
        engine="pyarrow",
        on_bad_lines=keep_malformed,
    )
    raw = pd.DataFrame({name: frame[name].str.strip() for name in fields})
    raw = raw.mask(raw == "")
    raw.insert(0, "_row", range(1, len(raw) + 1))
    raw.insert(0, "_source", str(source))

    typed = raw.copy()
    for name in ints:
        # Integers are written as integers, as in the pipeline: "1.0" is a type error.
        integer = raw[name].str.fullmatch(r"[+-]?[0-9]+").fillna(False).astype(bool)
        typed[name] = raw[name].where(integer).astype("Int64")
    for name in floats:
        typed[name] = pd.to_numeric(raw[name], errors="coerce").astype("float64")
    for name in stamps:
        parsed = pd.to_datetime(raw[name], format="ISO8601", utc=True, errors="coerce")
        typed[name] = parsed.astype(timestamp)
    try:
        schema.validate(typed, lazy=True)
        failures = pd.DataFrame({"index": [], "column": [], "check": []})
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases
    whole_columns = failures[failures["index"].isna()]
    if len(whole_columns):  # not about records: the schema and the casts disagree
        raise RuntimeError(f"pandera failed whole columns:\n{whole_columns}")
    reasons: dict[int, list[dict[str, Any]]] = {}
    for name, group in failures.groupby("column", sort=False):
        rows = group["index"].astype("int64").to_numpy()
        values = raw[name].iloc[rows].tolist()
        rules = group["check"].astype(str).tolist()
        if name in kinds:  # a value that is there but does not cast breaks the type rule
            unparsed = (typed[name].iloc[rows].isna() & raw[name].iloc[rows].notna()).tolist()
        else:
            unparsed = [False] * len(rows)
        for row, value, rule, broken_type in zip(
            rows.tolist(), values, rules, unparsed, strict=True
        ):
            if rule == "not_nullable":
                rule = f"type:{kinds[name]}" if broken_type else "required"
            reasons.setdefault(row, []).append(
                {"field": name, "rule": rule, "value": None if pd.isna(value) else value}
            )
    # The pipeline lists reasons in the contract's field order.
    order = {name: position for position, name in enumerate(fields)}
    for entries in reasons.values():
        entries.sort(key=lambda entry: order[entry["field"]])
    broken = typed.index.isin(list(reasons))

    valid = typed[~broken]
    newest_first = valid.sort_values(["updated_at", "_row"], ascending=False, kind="stable")
    duplicate = newest_first.index[newest_first.duplicated("customer_id", keep="first")]
    keys = raw["customer_id"].loc[duplicate].tolist()
    for row, key in zip(duplicate.tolist(), keys, strict=True):
        reasons[row] = [{"field": "customer_id", "rule": "duplicate_key", "value": key}]
    records = valid.drop(index=duplicate)[list(fields)]

    quarantine = raw.loc[sorted(reasons)].copy()
    quarantine["reasons"] = [reasons[row] for row in quarantine.index]
    rejected = pd.DataFrame(
        {
            "_source": str(source),
            "reasons": [
                [{"field": "(row)", "rule": "malformed", "value": text}] for text in malformed
            ],
        }
    )
    quarantine = pd.concat([quarantine, rejected], ignore_index=True)
    records.to_parquet(out / "records.parquet", index=False)
    pq.write_table(
        pa_arrow.Table.from_pandas(quarantine, preserve_index=False), out / "quarantine.parquet"
    )

    records_out = pq.read_metadata(out / "records.parquet").num_rows
    quarantined = pq.read_metadata(out / "quarantine.parquet").num_rows
    by_rule = Counter(
        f"{entry['field']}: {entry['rule']}"
        for entries in quarantine["reasons"]
        for entry in entries
    )
    result = {
        "records_in": len(frame) + len(malformed),
        "records_out": records_out,
        "records_quarantined": quarantined,
        "quarantine_by_rule": dict(sorted(by_rule.items())),
    }
    print("BENCH_JSON " + json.dumps(result), flush=True)
    return 0


# ----------------------------------------------------------------------------------------
# Running and measuring
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """The generated project, the baseline's environment, the input and the commands."""

    project: Path
    package: str
    env_prefix: str
    env: dict[str, str]
    baseline_python: Path
    input_dir: Path
    expected: dict[str, Any]
    versions: dict[str, str]

    def command(self, target: str, out: Path) -> tuple[list[str], dict[str, str]]:
        """The command line and environment of one run of ``target`` writing into ``out``."""
        if target == "ours":
            env = {**self.env, self.env_prefix + "PROCESSED_DIR": str(out)}
            return ["make", "pipeline", f"INPUT={self.input_dir}"], env
        if target == "baseline":
            csv = self.input_dir / "customers.csv"
            return [
                str(self.baseline_python),
                str(THIS_SCRIPT),
                "_baseline",
                str(csv),
                str(out),
            ], self.env
        if target == "ours imports":
            imports = f"import {self.package}.cli, {self.package}.pipeline.run"
            return ["uv", "run", "--no-sync", "python", "-c", imports], self.env
        imports = "import pandas, pandera.pandas, pyarrow.parquet"
        return [str(self.baseline_python), "-c", imports], self.env


TARGETS = ("ours", "baseline", "ours imports", "baseline imports")
LABELS = {
    "ours": "ours: `make pipeline` (Ibis on DuckDB)",
    "baseline": "baseline: pandas + pandera",
    "ours imports": "(start-up + imports, ours)",
    "baseline imports": "(start-up + imports, baseline)",
}


# Runs one command and writes its wall seconds, CPU seconds (user + system, all threads)
# and peak RSS to the file argv[1]. A small
# process of its own: on Linux a child starts out with its parent's peak RSS as its own,
# and this script's is larger than a bare Python's (about 10 MB, the floor of the figures).
LAUNCHER = """\
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
result = {
    "wall_s": time.perf_counter() - started,
    "peak_mb": usage.ru_maxrss / 1024,
    "cpu_s": usage.ru_utime + usage.ru_stime,
    "exit_code": os.waitstatus_to_exitcode(status),
}
with open(sys.argv[1], "w") as out:
    json.dump(result, out)
"""


def measure(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run ``command`` in a process group of its own; wall seconds and peak RSS (MB).

    ``wait4`` reports the largest resident set of the process and of the children it waited
    for (``make`` waits for ``uv``, ``uv run`` for the Python it starts).
    """
    result_file = log.with_suffix(".json")
    with log.open("w") as output:
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(result_file), *command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            launcher.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            _kill_group(launcher.pid)
            launcher.wait()
            raise BenchError(f"`{' '.join(command)}` took over {RUN_TIMEOUT_S} s") from error
        except BaseException:
            _kill_group(launcher.pid)
            launcher.wait()
            raise
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    if launcher.returncode != 0 or not result_file.is_file():
        raise BenchError(f"could not run `{' '.join(command)}`:\n{tail}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    if result.pop("exit_code") != 0:
        raise BenchError(f"`{' '.join(command)}` failed:\n{tail}")
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _counts(manifest: dict[str, Any]) -> dict[str, Any]:
    keys = ("records_in", "records_out", "records_quarantined", "quarantine_by_rule")
    return {key: manifest[key] for key in keys}


def outcome(setup: Setup, target: str, out: Path, log: Path) -> dict[str, Any]:
    """What a run of ``target`` reports it wrote: its counts, read from its own output."""
    if target == "ours":
        version = (out / "LATEST").read_text(encoding="utf-8").strip()
        manifest: dict[str, Any] = json.loads((out / version / "manifest.json").read_text())
        return _counts(manifest)
    marker = "BENCH_JSON "
    lines = [line for line in log.read_text().splitlines() if line.startswith(marker)]
    if not lines:
        raise BenchError(f"the baseline printed no {marker.strip()}; see {log}")
    return _counts(json.loads(lines[-1][len(marker) :]))


def check(counts: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What is wrong with ``counts``: empty when every record is where it belongs."""
    problems = []
    if counts["records_in"] != counts["records_out"] + counts["records_quarantined"]:
        problems.append("records in != out + quarantined")
    for key in ("records_in", "records_out", "records_quarantined"):
        if counts[key] != expected[key]:
            problems.append(f"{key} {counts[key]}, expected {expected[key]}")
    if counts["quarantine_by_rule"] != expected["quarantine_by_rule"]:
        got, want = Counter(counts["quarantine_by_rule"]), Counter(expected["quarantine_by_rule"])
        problems.append(f"by rule: extra {dict(got - want)}, missing {dict(want - got)}")
    return problems


def run_once(setup: Setup, target: str, scratch: Path, label: str) -> dict[str, Any]:
    out = scratch / "out" / f"{target.replace(' ', '-')}-{label}"
    log = scratch / "logs" / f"{target.replace(' ', '-')}-{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command, env = setup.command(target, out)
    result = measure(command, setup.project, env, log)
    if not target.endswith("imports"):
        result["problems"] = check(outcome(setup, target, out, log), setup.expected)
        shutil.rmtree(out, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------------------------


def _versions(
    python: list[str], cwd: Path, env: dict[str, str], names: Sequence[str]
) -> dict[str, str]:
    script = (
        "import importlib.metadata as m, json, sys; "
        f"print(json.dumps({{n: m.version(n) for n in {list(names)!r}}}))"
    )
    output = run_checked([*python, "-c", script], cwd, env, "reading package versions")
    versions: dict[str, str] = json.loads(output.strip().splitlines()[-1])
    return versions


def prepare(args: argparse.Namespace, scratch: Path) -> Setup:
    import yaml

    env = child_env(keep_dont_write_bytecode=args.keep_dont_write_bytecode)
    project = args.project.resolve() if args.project else generate_project(scratch / "project")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    if answers.get("task", "classification") != "classification":
        raise BenchError(f"{project} is not a classification project: the data are customers")
    package = str(answers["package_name"])
    run_checked(["uv", "sync"], project, env, "uv sync")
    ours = _versions(
        ["uv", "run", "--no-sync", "python"],
        project,
        env,
        ("duckdb", "ibis-framework", "sqlglot", "pyarrow", "pandas", "numpy"),
    )

    # The baseline gets an environment of its own, on the project's interpreter, with the
    # project's pandas, NumPy and pyarrow: the same libraries, plus pandera.
    venv = scratch / "baseline-venv"
    python = project / ".venv" / "bin" / "python"
    run_checked(
        ["uv", "venv", "--quiet", "--python", str(python), str(venv)], scratch, env, "uv venv"
    )
    pins = [f"{name}=={ours[name]}" for name in ("pandas", "numpy", "pyarrow")]
    baseline_python = venv / "bin" / "python"
    run_checked(
        ["uv", "pip", "install", "--quiet", "--python", str(baseline_python), *pins, args.pandera],
        scratch,
        env,
        "installing pandera",
    )
    theirs = _versions([str(baseline_python)], scratch, env, ("pandera",))

    input_dir = scratch / "input"
    input_dir.mkdir()
    print(f"writing {args.rows:,} records, {args.bad_share:.0%} bad ...", file=sys.stderr)
    expected = synthesize(input_dir / "customers.csv", args.rows, args.bad_share, args.seed)
    return Setup(
        project=project,
        package=package,
        env_prefix=package.upper() + "_",
        env=env,
        baseline_python=baseline_python,
        input_dir=input_dir,
        expected=expected,
        versions={**ours, **theirs},
    )


def benchmark(args: argparse.Namespace, scratch: Path, processes: Processes) -> dict[str, Any]:
    setup = prepare(args, scratch)
    for index in range(args.warmup):
        for target in TARGETS:
            print(f"warm-up {index + 1}/{args.warmup}: {target} ...", file=sys.stderr)
            run_once(setup, target, scratch, f"warmup{index}")
    rounds: list[dict[str, Any]] = []
    for index in range(args.rounds):
        # Alternate which goes first, so neither always runs on a warmer machine.
        order = TARGETS if index % 2 == 0 else (TARGETS[1], TARGETS[0], TARGETS[3], TARGETS[2])
        for target in order:
            result = run_once(setup, target, scratch, f"round{index}")
            rounds.append({"round": index + 1, "target": target, **result})
            shown = (
                f"{result['wall_s']:.2f} s, CPU {result['cpu_s']:.2f} s, {result['peak_mb']:.0f} MB"
            )
            problems = result.get("problems")
            if problems:
                shown += f", WRONG: {'; '.join(problems)}"
            print(f"round {index + 1}/{args.rounds}: {target}: {shown}", file=sys.stderr)
    return {
        "parameters": {
            "rounds": args.rounds,
            "warmup": args.warmup,
            "rows": args.rows,
            "bad_share": args.bad_share,
            "seed": args.seed,
            "pandera": args.pandera,
            "project": str(args.project) if args.project else None,
            "keep_dont_write_bytecode": args.keep_dont_write_bytecode,
        },
        "bytecode_note": bytecode_note(args.keep_dont_write_bytecode),
        "input": setup.expected,
        "versions": setup.versions,
        "commands": {target: setup.command(target, Path("<out>"))[0] for target in TARGETS},
        "load_average_at_end": os.getloadavg(),
        "rounds": rounds,
    }


# ----------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------


def report(data: dict[str, Any]) -> dict[str, Any]:
    rows_in = data["input"]["records_in"]
    rounds = data["rounds"]
    summary: dict[str, Any] = {}
    for target in TARGETS:
        mine = [r for r in rounds if r["target"] == target]
        summary[target] = {
            "wall_s": Summary.of([r["wall_s"] for r in mine]).as_dict(),
            "cpu_s": Summary.of([r["cpu_s"] for r in mine]).as_dict(),
            "peak_mb": Summary.of([r["peak_mb"] for r in mine]).as_dict(),
            "problems": sorted({p for r in mine for p in r.get("problems", [])}),
        }
    ours, base = summary["ours"], summary["baseline"]
    paired = [
        o["wall_s"] / b["wall_s"]
        for o in rounds
        for b in rounds
        if o["target"] == "ours" and b["target"] == "baseline" and o["round"] == b["round"]
    ]
    ratios = {
        "wall_ours_over_baseline": ratio(ours["wall_s"]["median"], base["wall_s"]["median"]),
        "wall_paired_median": Summary.of(paired).median,
        "cpu_ours_over_baseline": ratio(ours["cpu_s"]["median"], base["cpu_s"]["median"]),
        "peak_mb_ours_over_baseline": ratio(ours["peak_mb"]["median"], base["peak_mb"]["median"]),
    }
    met = ours["wall_s"]["median"] < TARGET_S and (ratios["wall_ours_over_baseline"] or 2) < 1
    table = []
    for target in TARGETS:
        wall, peak = summary[target]["wall_s"], summary[target]["peak_mb"]
        full = not target.endswith("imports")
        problems = summary[target]["problems"]
        table.append(
            [
                LABELS[target],
                f"{wall['median']:.2f}",
                f"{wall['min']:.2f}-{wall['max']:.2f}",
                f"{rows_in / wall['median']:,.0f}" if full else "",
                f"{summary[target]['cpu_s']['median']:.2f}",
                f"{peak['median']:.0f}",
                fmt_ratio(ratio(wall["median"], base["wall_s"]["median"])) if full else "",
                ("yes" if not problems else "NO") if full else "",
            ]
        )
    facts = data["input"]
    print(
        f"\n### Pipeline: {rows_in:,} records ({facts['records_quarantined']:,} bad,"
        f" {facts['bytes'] / 1e6:.0f} MB CSV), {len(paired)} rounds, fresh processes\n"
    )
    print(
        markdown_table(
            [
                "run",
                "median s",
                "min-max s",
                "rows/s",
                "CPU s",
                "peak MB",
                "vs baseline",
                "counts right",
            ],
            table,
        )
    )
    print(
        f"\nours/baseline: {fmt_ratio(ratios['wall_ours_over_baseline'])} of the median time"
        f" (paired by round: {fmt_ratio(ratios['wall_paired_median'])}),"
        f" {fmt_ratio(ratios['cpu_ours_over_baseline'])} of the CPU time,"
        f" {fmt_ratio(ratios['peak_mb_ours_over_baseline'])} of the peak memory."
        f" Target: ours under {TARGET_S:g} s and ahead of the baseline:"
        f" {'met' if met else 'NOT met'}."
    )
    for target in ("ours", "baseline"):
        if summary[target]["problems"]:
            print(f"{target}: WRONG COUNTS: {'; '.join(summary[target]['problems'])}")
    versions = ", ".join(f"{name} {version}" for name, version in data["versions"].items())
    print(f"\nexpected: {facts['records_out']:,} valid, defects {facts['defects']}")
    print(f"versions: {versions}")
    end = ", ".join(f"{value:.2f}" for value in data["load_average_at_end"])
    print(f"load average at the end: {end} (at the start: in the JSON)")
    print(data["bytecode_note"])
    return {"summary": summary, "ratios": ratios, "target_s": TARGET_S, "target_met": met}


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="Use this generated project (default: new).")
    parser.add_argument("--rounds", type=int, default=5, help="Timed rounds (default 5).")
    parser.add_argument("--warmup", type=int, default=1, help="Untimed rounds first (default 1).")
    parser.add_argument("--rows", type=int, default=1_000_000, help="Records (1,000,000).")
    parser.add_argument("--bad-share", type=float, default=0.05, help="Bad records (0.05).")
    parser.add_argument("--seed", type=int, default=SEED, help="Seed of the data.")
    parser.add_argument(
        "--pandera", default="pandera", help="Requirement for pandera (default: newest)."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder.")
    add_keep_dont_write_bytecode(parser)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 50 or args.warmup < 0:
        parser.error("need 1 <= --rounds <= 50 and --warmup >= 0")
    if args.rows < 100 or not 0 <= args.bad_share <= 0.5:
        parser.error("need --rows >= 100 and 0 <= --bad-share <= 0.5")
    return args


def main() -> int:
    if sys.argv[1:2] == ["_baseline"]:
        return baseline_main(sys.argv[2:])
    args = parse_args()
    require_tool("uv")
    require_tool("make")
    return run_main("bench_pipeline", args, benchmark, report)


if __name__ == "__main__":
    raise SystemExit(main())
