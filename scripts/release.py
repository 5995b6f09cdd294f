"""Template releases: PEP 440 git tags, each with a CHANGELOG.md entry for existing projects.

    uv run python scripts/release.py check           # CHANGELOG.md is well formed
    uv run python scripts/release.py list            # every release and its commit
    uv run python scripts/release.py cut 1.2.0       # release what is under "Unreleased"

A release is the commit that turns the "Unreleased" section of CHANGELOG.md into
"## <version> (<date>)", tagged with the version. Each section says, under
"### For existing projects", what a project generated from the previous release must do when
it runs `copier update`. The commit that added a release's heading is the release, so the
history alone finds it where the tags were not fetched.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = "CHANGELOG.md"
UNRELEASED = "## Unreleased"
FOR_EXISTING_PROJECTS = "### For existing projects"
HEADING = re.compile(r"^## (?P<version>\S+) \((?P<date>\d{4}-\d{2}-\d{2})\)$")


class ReleaseError(Exception):
    """The changelog or the repository is not in a state a release can be made from."""


@dataclass(frozen=True)
class Release:
    version: Version
    date: datetime.date
    heading: str
    body: str


@dataclass(frozen=True)
class Changelog:
    preamble: str
    unreleased: str
    releases: list[Release]


def parse(text: str) -> Changelog:
    """The sections of a changelog, checked: newest first, PEP 440, each for existing projects."""
    parts = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    preamble, sections = parts[0], parts[1:]
    if not sections or not sections[0].startswith(UNRELEASED + "\n"):
        raise ReleaseError(f"{CHANGELOG} must start its sections with '{UNRELEASED}'")
    unreleased = sections[0].removeprefix(UNRELEASED + "\n")
    releases: list[Release] = []
    for section in sections[1:]:
        heading, _, body = section.partition("\n")
        match = HEADING.match(heading)
        if match is None:
            raise ReleaseError(
                f"'{heading}' in {CHANGELOG} is not a release heading: "
                "write '## <version> (<YYYY-MM-DD>)', for example '## 1.2.0 (2026-12-05)'"
            )
        version = _version(match["version"])
        if releases and version >= releases[-1].version:
            raise ReleaseError(
                f"{CHANGELOG} lists {version} below {releases[-1].version}: newest first"
            )
        if FOR_EXISTING_PROJECTS not in body:
            raise ReleaseError(
                f"{version} in {CHANGELOG} has no '{FOR_EXISTING_PROJECTS}' section: say what "
                "a project generated from the previous release must do to update"
            )
        date = datetime.date.fromisoformat(match["date"])
        releases.append(Release(version, date, heading, body))
    return Changelog(preamble, unreleased, releases)


def _version(text: str) -> Version:
    try:
        version = Version(text)
    except InvalidVersion:
        raise ReleaseError(f"'{text}' is not a PEP 440 version, for example 1.2.0") from None
    if str(version) != text:
        raise ReleaseError(f"write '{version}' rather than '{text}' (PEP 440's normal form)")
    return version


def _git(*args: str, root: Path = ROOT) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed.stdout.strip()


def release_commit(release: Release, root: Path = ROOT) -> str:
    """The commit of ``release``: its tag where fetched, else the commit adding its heading."""
    tagged = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{release.version}^{{commit}}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if tagged.returncode == 0:
        return tagged.stdout.strip()
    added = _git(
        "log", "--reverse", "--format=%H", "-S", release.heading, "--", CHANGELOG, root=root
    ).splitlines()
    if not added:
        raise ReleaseError(
            f"no commit adds '{release.heading}' to {CHANGELOG}, and tag {release.version} "
            "is missing: fetch the tags (git fetch --tags) or the full history"
        )
    return added[0]


def cut(version_text: str, root: Path = ROOT, today: datetime.date | None = None) -> Release:
    """Release the "Unreleased" section as ``version_text``: commit and tag it."""
    version = _version(version_text)
    changelog_path = root / CHANGELOG
    changelog = parse(changelog_path.read_text(encoding="utf-8"))
    if changelog.releases and version <= changelog.releases[0].version:
        raise ReleaseError(
            f"{version} is not newer than the last release, {changelog.releases[0].version}"
        )
    if FOR_EXISTING_PROJECTS not in changelog.unreleased:
        raise ReleaseError(
            f"'{UNRELEASED}' has no '{FOR_EXISTING_PROJECTS}' section: say what a project "
            "generated from the previous release must do to update (or that it need do nothing)"
        )
    if _git("status", "--porcelain", root=root):
        raise ReleaseError("the working tree has uncommitted changes: commit or stash them")
    heading = f"## {version} ({(today or datetime.date.today()).isoformat()})"
    body = changelog.unreleased.strip("\n")
    released = "".join(
        [
            changelog.preamble,
            f"{UNRELEASED}\n\n",
            f"{heading}\n\n{body}\n\n",
            *(f"{release.heading}\n{release.body}" for release in changelog.releases),
        ]
    )
    changelog_path.write_text(released.rstrip("\n") + "\n", encoding="utf-8")
    release = parse(released).releases[0]
    _git("add", CHANGELOG, root=root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():  # the repository's own version follows its releases
        text = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(
            re.sub(r'^version = ".*"$', f'version = "{version}"', text, count=1, flags=re.M),
            encoding="utf-8",
        )
        _git("add", "pyproject.toml", root=root)
        if (root / "uv.lock").is_file():  # the lock records the version too
            subprocess.run(["uv", "lock", "--quiet"], cwd=root, check=True)
            _git("add", "uv.lock", root=root)
    _git("commit", "--quiet", "-m", f"Release {version}", root=root)
    _git("tag", "--annotate", str(version), "-m", f"Release {version}", root=root)
    return release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check that CHANGELOG.md is well formed")
    commands.add_parser("list", help="list the releases and their commits")
    cut_parser = commands.add_parser("cut", help="release the Unreleased section")
    cut_parser.add_argument("version", help="the new PEP 440 version, for example 1.2.0")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "cut":
            release = cut(arguments.version, root=ROOT)
            print(f"Released {release.version}: push the commit and the tag")
            print(f"    git push origin HEAD {release.version}")
            return 0
        changelog = parse((ROOT / CHANGELOG).read_text(encoding="utf-8"))
        if arguments.command == "list":
            for release in changelog.releases:
                print(f"{release.version}\t{release.date}\t{release_commit(release, root=ROOT)}")
        else:
            print(f"{CHANGELOG}: {len(changelog.releases)} releases, well formed")
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
