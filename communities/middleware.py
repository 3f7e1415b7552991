"""Sends a logged-in user who still owes a second factor to the verification (or set-up) page."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from communities.security import confirmed_device, two_factor_required

# Paths a user who has not passed the second factor may still reach.
OPEN_PREFIXES = ("/login/", "/logout/", "/account/2fa/", "/static/", "/i18n/", "/healthz", "/api/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and two_factor_required(user)
        ):
            target = "account-2fa-verify" if confirmed_device(user) else "account-2fa-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
