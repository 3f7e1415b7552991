"""The navigation bar: which entries each role sees. Apps register their entries in their AppConfig.ready()."""

# (label, url name, roles that see it), in menu order
NAV_ITEMS: list[tuple] = []
_POSITIONS: dict[str, int] = {}
# url name → a function of the user returning a count shown on the entry (0: none shown), e.g. unread messages
NAV_BADGES: dict[str, object] = {}
# url name → what the badge's count counts, read out by screen readers ("unread" when not said)
NAV_BADGE_LABELS: dict[str, object] = {}


def register_nav_item(label, url_name: str, roles, *, position: int, badge=None, badge_label=None) -> None:
    """Show ``label`` linking to ``url_name`` to users holding one of ``roles``; entries are ordered by
    ``position`` (the home page is 10, the security settings 110). ``badge``: a function of the user returning
    a count to show on the entry (one cheap query: it runs on every page); ``badge_label`` what it counts, for
    screen readers (e.g. "to do"; "unread" when not given). Registering a url name again replaces it."""
    _POSITIONS[url_name] = position
    if badge is not None:
        NAV_BADGES[url_name] = badge
    else:
        NAV_BADGES.pop(url_name, None)
    if badge_label is not None:
        NAV_BADGE_LABELS[url_name] = badge_label
    else:
        NAV_BADGE_LABELS.pop(url_name, None)
    items = [item for item in NAV_ITEMS if item[1] != url_name] + [(label, url_name, tuple(roles))]
    NAV_ITEMS[:] = sorted(items, key=lambda item: _POSITIONS[item[1]])
