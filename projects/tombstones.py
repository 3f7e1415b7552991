"""What the sync layer (renovation_portal.sync) needs from the projects app, registered in projects.apps: the
contractor company whose records a deleted record is."""


def tombstone_company(instance, compound=None) -> dict:
    """The contractor company whose records these are (a project, or anything under one), if any, as the
    Tombstone's ``company_id``."""
    return {"company_id": _contractor_id(instance)}


def _contractor_id(instance):
    target = instance
    path = getattr(type(instance).objects.all(), "compound_path", "") or ""
    for attr in [""] + [a for a in path.rstrip("_").split("__") if a]:
        if attr:
            target = getattr(target, attr, None)
        if target is None:
            return None
        if hasattr(target, "contractor_id") and target._meta.model_name == "project":
            return target.contractor_id
    return None
