"""Promotion, rollout steps, abort and rollback: each one change to the registry's state.

The functions here check that the change makes sense (a version exists, there is a challenger
to move, something to roll back to) and refuse with a message that says what to do instead;
the registry applies the change atomically.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .base import Mode, Registry, RegistryError, RegistryState, utc_now


def _changed(state: RegistryState, **changes: Any) -> RegistryState:
    return dataclasses.replace(state, **changes, revision=state.revision + 1, updated_at=utc_now())


def _need_challenger(state: RegistryState) -> str:
    if state.challenger is None:
        raise RegistryError("No challenger is being rolled out; promote a version first.")
    return state.challenger


def promote(
    registry: Registry, version: str, *, steps: Sequence[int], mode: Mode = "canary"
) -> RegistryState:
    """Make ``version`` the challenger at the first step (or in shadow), or the champion when
    there is none yet. The quality gates are checked before this is called."""
    registry.get(version)  # refuses an unknown version

    def change(state: RegistryState) -> RegistryState:
        if version == state.champion:
            raise RegistryError(f"{version} is already the champion.")
        if state.champion is None:
            return _changed(
                state, champions=(version,), challenger=None, step=0, mode="canary", aborted=None
            )
        step = 0 if mode == "shadow" else steps[0]
        return _changed(state, challenger=version, step=step, mode=mode, aborted=None)

    return registry.update(change)


def set_step(registry: Registry, percent: int, *, steps: Sequence[int]) -> RegistryState:
    """Send ``percent`` of the traffic to the challenger: one of ``steps``, or 0 to pause."""
    if percent != 0 and percent not in steps:
        raise RegistryError(
            f"{percent} is not a rollout step; use one of {', '.join(map(str, steps))}, or 0 to"
            " pause."
        )

    def change(state: RegistryState) -> RegistryState:
        _need_challenger(state)
        return _changed(state, step=percent, mode="canary", aborted=None)

    return registry.update(change)


def advance(registry: Registry, *, steps: Sequence[int]) -> RegistryState:
    """Move the challenger to the next step; past the last one it becomes the champion."""

    def change(state: RegistryState) -> RegistryState:
        challenger = _need_challenger(state)
        if state.mode == "shadow" or state.aborted is not None:
            return _changed(state, step=steps[0], mode="canary", aborted=None)
        higher = [step for step in steps if step > state.step]
        if higher:
            return _changed(state, step=higher[0])
        return _completed(state, challenger)

    return registry.update(change)


def _completed(state: RegistryState, challenger: str) -> RegistryState:
    return _changed(
        state,
        champions=(*state.champions, challenger),
        challenger=None,
        step=0,
        mode="canary",
        aborted=None,
    )


def complete(registry: Registry) -> RegistryState:
    """Make the challenger the champion now; the champion becomes ``previous``."""

    def change(state: RegistryState) -> RegistryState:
        return _completed(state, _need_challenger(state))

    return registry.update(change)


def abort(registry: Registry, reason: str) -> RegistryState:
    """Send all traffic back to the champion and say why; the challenger stays for inspection."""

    def change(state: RegistryState) -> RegistryState:
        _need_challenger(state)
        if state.aborted is not None and state.step == 0:
            return state  # already aborted, by another replica or an operator
        return _changed(state, step=0, mode="canary", aborted=reason)

    return registry.update(change)


def rollback(registry: Registry) -> RegistryState:
    """Point ``champion`` back at ``previous`` and stop any rollout."""

    def change(state: RegistryState) -> RegistryState:
        if state.previous is None:
            if state.champion is None:
                raise RegistryError("Nothing to roll back to: no version has been promoted yet.")
            raise RegistryError(
                f"Nothing to roll back to: {state.champion} is the only champion so far."
            )
        return _changed(
            state, champions=state.champions[:-1], challenger=None, step=0, aborted=None
        )

    return registry.update(change)
