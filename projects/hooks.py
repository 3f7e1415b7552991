"""Extension points of the projects app for other apps.

Completion blockers: the inspections app registers a function that lists why a project's completion cannot
be accepted yet (e.g. open serious rectification issues). The completion-acceptance service refuses the
transition while any blocker returns a reason.
"""

from collections.abc import Callable

CompletionBlocker = Callable[["Project"], list[str]]  # noqa: F821
_completion_blockers: list[CompletionBlocker] = []


def register_completion_blocker(blocker: CompletionBlocker) -> CompletionBlocker:
    if blocker not in _completion_blockers:
        _completion_blockers.append(blocker)
    return blocker


def completion_blockers(project) -> list[str]:
    """Every reason, from every registered app, why this project's completion cannot be accepted now."""
    reasons: list[str] = []
    for blocker in _completion_blockers:
        reasons.extend(blocker(project))
    return reasons
