"""Template releases: scripts/release.py, and CHANGELOG.md as it stands."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from packaging.version import Version

from .helpers import TEMPLATE_ROOT, git_commit, git_init, release, run

CHANGELOG = """# Changelog

How releases work.

## Unreleased

- Something new.

### For existing projects

Nothing to do.

## 1.0.0 (2026-11-01)

First release.

### For existing projects

Nothing to update from.
"""
TODAY = datetime.date(2026, 12, 5)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "t"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n'
    )
    run(["uv", "lock", "--quiet"], tmp_path)
    git_init(tmp_path)
    return tmp_path


def test_the_changelog_is_well_formed_and_every_release_is_in_the_history() -> None:
    changelog = release.parse((TEMPLATE_ROOT / "CHANGELOG.md").read_text())

    assert changelog.releases, "the template has been released"
    for entry in changelog.releases:
        commit = release.release_commit(entry)
        listed = run(["git", "show", "--format=", "--name-only", commit], TEMPLATE_ROOT).stdout
        assert "CHANGELOG.md" in listed.split(), f"{entry.version} is not a changelog commit"


def test_cut_releases_the_unreleased_section_as_a_tagged_commit(repository: Path) -> None:
    made = release.cut("1.1.0", root=repository, today=TODAY)

    text = (repository / "CHANGELOG.md").read_text()
    changelog = release.parse(text)
    assert made.version == Version("1.1.0")
    assert changelog.unreleased.strip() == ""
    assert [str(entry.version) for entry in changelog.releases] == ["1.1.0", "1.0.0"]
    assert "## 1.1.0 (2026-12-05)\n\n- Something new." in text
    assert "Nothing to do." in changelog.releases[0].body
    tagged = run(["git", "rev-parse", "1.1.0^{commit}"], repository).stdout.strip()
    assert tagged == run(["git", "rev-parse", "HEAD"], repository).stdout.strip()
    assert run(["git", "log", "-1", "--format=%s"], repository).stdout.strip() == "Release 1.1.0"
    assert 'version = "1.1.0"' in (repository / "pyproject.toml").read_text()
    assert 'version = "1.1.0"' in (repository / "uv.lock").read_text()
    assert not run(["git", "status", "--porcelain"], repository).stdout


def test_a_release_is_found_by_its_heading_when_its_tag_was_not_fetched(
    repository: Path,
) -> None:
    made = release.cut("1.1.0", root=repository, today=TODAY)
    commit = run(["git", "rev-parse", "HEAD"], repository).stdout.strip()
    (repository / "README.md").write_text("More work.\n")
    git_commit(repository, "More work")
    run(["git", "tag", "--delete", "1.1.0"], repository)

    assert release.release_commit(made, root=repository) == commit


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.0.0", "not newer than the last release, 1.0.0"),
        ("0.9.0", "not newer"),
        ("one", "not a PEP 440 version"),
        ("1.1", None),
        ("v1.1.0", "write '1.1.0' rather than 'v1.1.0'"),
    ],
)
def test_cut_refuses_a_version_that_is_not_a_newer_pep_440_one(
    repository: Path, version: str, message: str | None
) -> None:
    if message is None:  # a shorter version is still PEP 440 and newer
        assert release.cut(version, root=repository, today=TODAY).version == Version("1.1")
        return
    with pytest.raises(release.ReleaseError, match=message):
        release.cut(version, root=repository, today=TODAY)
    assert (repository / "CHANGELOG.md").read_text() == CHANGELOG


def test_cut_refuses_uncommitted_changes(repository: Path) -> None:
    (repository / "notes.txt").write_text("draft\n")

    with pytest.raises(release.ReleaseError, match="uncommitted changes"):
        release.cut("1.1.0", root=repository, today=TODAY)


def test_cut_refuses_a_release_that_says_nothing_to_existing_projects(
    repository: Path,
) -> None:
    (repository / "CHANGELOG.md").write_text(
        CHANGELOG.replace("### For existing projects\n\nNothing to do.\n", "", 1)
    )
    git_commit(repository, "Forget the update notes")

    with pytest.raises(release.ReleaseError, match="'## Unreleased' has no '### For existing"):
        release.cut("1.1.0", root=repository, today=TODAY)


@pytest.mark.parametrize(
    ("changelog", "message"),
    [
        (CHANGELOG.replace("## Unreleased", "## Next"), "must start its sections with"),
        (CHANGELOG.replace("## 1.0.0 (2026-11-01)", "## 1.0.0"), "not a release heading"),
        (
            CHANGELOG + "\n## 1.2.0 (2026-11-20)\n\n### For existing projects\n\nNone.\n",
            "lists 1.2.0 below 1.0.0: newest first",
        ),
        (
            CHANGELOG.replace("First release.\n\n### For existing projects", "First release."),
            "1.0.0 in CHANGELOG.md has no '### For existing projects' section",
        ),
    ],
)
def test_a_malformed_changelog_is_refused_with_what_to_fix(changelog: str, message: str) -> None:
    with pytest.raises(release.ReleaseError, match=message):
        release.parse(changelog)


def test_the_command_line_lists_and_checks(
    repository: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    release.cut("1.1.0", root=repository, today=TODAY)
    monkeypatch.setattr(release, "ROOT", repository)

    assert release.main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["1.1.0", "1.0.0"]
    assert release.main(["check"]) == 0
    assert "2 releases, well formed" in capsys.readouterr().out
    assert release.main(["cut", "1.1.0"]) == 1
    assert "not newer than the last release" in capsys.readouterr().err
