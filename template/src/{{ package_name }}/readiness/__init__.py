"""The production readiness scorecard behind ``make readiness``.

``checks`` looks at the project as it is now: the reports the load test, the rollback drill
and the data audit left, the model registry, the alert rules, the security tools and the
documents the team fills in. Every item either passes, or says what is missing and how to
produce it. Items a machine cannot judge (a security review, say) are ticked by a person in
``docs/readiness.md``, and read from there. ``rubric`` maps the items to the 28 tests of the
ML Test Score and scores them; ``report`` prints the table and writes readiness-report.md.
"""
