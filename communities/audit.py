"""The audit trail (django-auditlog): who changed what, when, from where, and through which path.

django-auditlog records every save and delete of every model (AUDITLOG_INCLUDE_ALL_MODELS) with the changed
fields' old and new values. This module adds what the portal needs on top:

- the *source* of each write — ``web``, ``api``, ``admin``, ``task:<name>``, ``command:<name>`` — kept in the log
  entry's correlation-id column (AUDITLOG_CID_GETTER);
- the actor for API calls authenticated by token (those users are known only inside the DRF view);
- the place ids (district, subdistrict, community, compound) of the changed object, kept in
  ``additional_data``, so that officials can browse the entries of their own subtree;
- the actor and source for Celery tasks and the portal's management commands.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from auditlog.context import auditlog_value, set_extra_data

audit_source: ContextVar[str | None] = ContextVar("portal_audit_source", default=None)


def current_source() -> str | None:
    """AUDITLOG_CID_GETTER: the path the current write came through."""
    return audit_source.get()


def bind_actor(user) -> None:
    """Name the actor of the current request's writes once authentication has found them (API tokens)."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user


@contextlib.contextmanager
def audit_context(source: str, actor=None):
    """Run writes outside a request (a task, a command) with a named source and actor."""
    token = audit_source.set(source)
    try:
        with set_extra_data(context_data={"actor": actor, "remote_addr": None, "remote_port": None}):
            yield
    finally:
        audit_source.reset(token)


class AuditSourceMiddleware:
    """Marks each request's writes with the path they came through (after auditlog's own middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        source = "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        token = audit_source.set(source)
        try:
            return self.get_response(request)
        finally:
            audit_source.reset(token)


# --- place ids of an audited object ---

_PLACE_ATTRS = {
    "district": lambda o: {"district": o.pk},
    "subdistrict": lambda o: {"district": o.district_id, "subdistrict": o.pk},
    "community": lambda o: {"district": o.subdistrict.district_id, "subdistrict": o.subdistrict_id, "community": o.pk},
}


def _compound_places(compound) -> dict:
    community = compound.community
    return {
        "district": community.subdistrict.district_id,
        "subdistrict": community.subdistrict_id,
        "community": compound.community_id,
        "compound": compound.pk,
    }


def _bound_place_ids(obj) -> dict:
    fields = {f.name for f in obj._meta.concrete_fields}
    for level in ("compound", "community", "subdistrict", "district"):
        if level in fields and getattr(obj, f"{level}_id", None):
            place = getattr(obj, level)
            return _compound_places(place) if level == "compound" else _PLACE_ATTRS[level](place)
    return {}


def place_ids(instance) -> dict:
    """The place-tree ids above an object, found through its queryset's path to the compound."""
    name = instance._meta.model_name
    if name in _PLACE_ATTRS and instance._meta.app_label == "communities":
        return _PLACE_ATTRS[name](instance)
    if name == "compound" and instance._meta.app_label == "communities":
        return _compound_places(instance)
    path = getattr(type(instance).objects.all(), "compound_path", None)
    if not path:
        # A task-force member is where its task force is; a task force, an inspection group, a district's checklist
        # or a role is bound to a node of the tree by a field named after its level. Their entries (and the m2m
        # changes of their members, which django-auditlog writes on the owning object) carry that node's ids,
        # so the officials of the subtree see them like any other change.
        return _bound_place_ids(getattr(instance, "task_force", None) or instance)
    target = instance
    for attr in path.rstrip("_").split("__"):
        target = getattr(target, attr, None)
        if target is None:
            return {}
    return _compound_places(target)


def _get_additional_data(self):
    try:
        return place_ids(self)
    except Exception:  # an audit row must never make the write itself fail
        return {}


def attach_place_data() -> None:
    """Give every audited model of the portal's apps the place ids for its log entries."""
    from auditlog.registry import auditlog

    for model in auditlog.get_models():
        if model._meta.app_label in {"communities", "projects", "consultations", "inspections"} and not hasattr(
            model, "get_additional_data"
        ):
            model.get_additional_data = _get_additional_data


def connect_task_signals() -> None:
    """Celery tasks write with source ``task:<name>``."""
    from celery import signals

    contexts: dict[str, contextlib.ExitStack] = {}

    @signals.task_prerun.connect(weak=False)
    def _start(task_id=None, task=None, **kwargs):
        stack = contextlib.ExitStack()
        stack.enter_context(audit_context(f"task:{task.name}"))
        contexts[task_id] = stack

    @signals.task_postrun.connect(weak=False)
    def _end(task_id=None, **kwargs):
        stack = contexts.pop(task_id, None)
        if stack is not None:
            stack.close()
