"""API authentication by a device's revocable token: ``Authorization: Token <key>`` (or ``Bearer <key>``)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from communities.audit import bind_actor
from communities.models import ApiToken

# last_used_at is written at most this often per token, so a busy phone does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 300


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give 'Token <key>'."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the key has invalid characters.")) from None
        token = ApiToken.find(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token. Log in again."))
        if not token.user.is_active:
            # However the account was switched off, its devices stay logged out if it is switched on again.
            ApiToken.objects.filter(user_id=token.user_id).delete()
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        if not token.credentials_unchanged():
            token.delete()
            raise exceptions.AuthenticationFailed(
                _("The password of this account was changed, which logged this device out. Log in again."),
                code="token_revoked",
            )
        if not token.otp_verified:
            from communities.security import two_factor_required  # only a token without a second factor needs it

            if two_factor_required(token.user, has_device=token.has_device, policy=token.officials_must_use_2fa):
                raise exceptions.AuthenticationFailed(
                    _(
                        "Your account now requires two-factor login: log in again with the code of your "
                        "authenticator app in otp_token (set one up in the web portal first if you have none)."
                    ),
                    code="two_factor_required",
                )
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        bind_actor(token.user)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, but only once the user passed the second factor when they owe one."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        from communities.security import two_factor_required

        user = result[0]
        if not user.is_verified() and two_factor_required(user):
            raise exceptions.AuthenticationFailed(_("Finish the two-factor login in the web portal first."))
        return result
