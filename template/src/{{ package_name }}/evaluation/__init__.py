"""Golden-set evaluation and the quality gates a version must pass to be promoted."""
