"""Extension points of the projects app for other apps.

Completion blockers: the inspections app registers a function that lists why a project's completion cannot
be accepted yet (e.g. open serious rectification issues). The completion-acceptance service refuses the
transition while any blocker returns a reason.

Project origins: the planning app registers how a project is created from an item of the annual plan.
``project_create(plan_item=<id>)`` asks the registered origin for the item's compound, batch and name and, once
the project is saved (in the same transaction), lets it link the item to the project. This app knows no plan.

Handover listeners: the aftercare app registers what starts when a project's completion is accepted (the compound's
aftercare record and the warranty periods). ``project_accept_completion`` calls every listener inside its
transaction, after the project is handed over: a listener's refusal undoes the acceptance too.
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


# origin(actor, plan_item_id) -> (defaults for the project: compound, batch, name; link(project) to call once saved)
ProjectOrigin = Callable[[object, int], tuple[dict, Callable]]
_project_origins: list[ProjectOrigin] = []


def register_project_origin(origin: ProjectOrigin) -> ProjectOrigin:
    if origin not in _project_origins:
        _project_origins.append(origin)
    return origin


def project_origin(actor, plan_item_id: int) -> tuple[dict, Callable] | None:
    """The defaults and the link of the plan item a project is created from (None when no app offers plans)."""
    for origin in _project_origins:
        return origin(actor, plan_item_id)
    return None


# listener(project, actor): called once per accepted project, inside the acceptance transaction
HandoverListener = Callable[[object, object], None]
_handover_listeners: list[HandoverListener] = []


def register_handover_listener(listener: HandoverListener) -> HandoverListener:
    if listener not in _handover_listeners:
        _handover_listeners.append(listener)
    return listener


def project_handed_over(project, actor) -> None:
    """Tell every registered app that ``project`` was just handed over (its completion accepted by ``actor``)."""
    for listener in _handover_listeners:
        listener(project, actor)
