"""Allow ``python -m <package>`` as well as the installed console script."""

from .cli import main

raise SystemExit(main())
