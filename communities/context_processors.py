from django.conf import settings
from django.urls import NoReverseMatch, reverse

from communities.scoping import get_scope
from renovation_portal.navigation import NAV_BADGE_LABELS, NAV_BADGES, NAV_ITEMS


def portal(request):
    """The portal name and the navigation entries the user's roles may see."""
    context = {"portal_name": settings.PORTAL_NAME}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    scope = get_scope(user)
    nav = []
    for label, url_name, roles in NAV_ITEMS:
        if scope.is_global or scope.role_kinds.intersection(roles):
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            badge = NAV_BADGES.get(url_name)
            nav.append(
                {
                    "label": label,
                    "url": url,
                    "active": request.path == url or (url != "/" and request.path.startswith(url)),
                    "badge": badge(user) if badge is not None else 0,
                    "badge_label": NAV_BADGE_LABELS.get(url_name, ""),
                }
            )
    context["nav_items"] = nav
    context["nav_badge_total"] = sum(item["badge"] for item in nav)  # on the menu button of a phone
    context["portal_scope"] = scope
    return context
