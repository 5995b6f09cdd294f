"""Bring an existing project (a prototype, a demo) under the template.

Generates the template into the project without overwriting any file the project already
has, records the answers in .copier-answers.yml so that `copier update` works from then on,
and lists what it wrote, what it kept and what to merge by hand. The project must be a git
repository with nothing uncommitted, so that the adoption can be reviewed as a diff.

Run: uv run python scripts/adopt.py PROJECT_DIR [--template SRC] [--vcs-ref REF]
                                   [--data key=value ...] [--defaults]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from adoption import AdoptionError, add_arguments, adopt, fail, parse_data, report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        adoption = adopt(
            args.project,
            template=args.template,
            vcs_ref=args.vcs_ref,
            data=parse_data(args.data),
            defaults=args.defaults,
        )
    except AdoptionError as error:
        return fail(str(error))
    except ValueError as error:
        return fail(f"{error}\nAnswer it with --data KEY=VALUE.")
    print(report(adoption))
    return 0


if __name__ == "__main__":
    sys.exit(main())
