"""The navigation bar: which entries each role sees. Apps register their entries in their AppConfig.ready()."""

# (label, url name, roles that see it), in menu order
NAV_ITEMS: list[tuple] = []
_POSITIONS: dict[str, int] = {}


def register_nav_item(label, url_name: str, roles, *, position: int) -> None:
    """Show ``label`` linking to ``url_name`` to users holding one of ``roles``; entries are ordered by
    ``position`` (the home page is 10, the security settings 110). Registering a url name again replaces it."""
    _POSITIONS[url_name] = position
    items = [item for item in NAV_ITEMS if item[1] != url_name] + [(label, url_name, tuple(roles))]
    NAV_ITEMS[:] = sorted(items, key=lambda item: _POSITIONS[item[1]])
