"""The site's root pages, with names outside any namespace: home, sign-in and out, two-factor, the security
policy and the audit trail (included at the root by renovation_portal.urls)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from communities import audit_views, people_views
from communities import views as community_views
from communities.forms import LoginForm

urlpatterns = [
    path("", community_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/verify/", community_views.two_factor_verify, name="account-2fa-verify"),
    path("account/2fa/setup/", community_views.two_factor_setup, name="account-2fa-setup"),
    path("account/2fa/remove/", community_views.two_factor_remove, name="account-2fa-remove"),
    # Not under /account/2fa/: that prefix stays open to users who still owe their second factor.
    path("account/2fa-reset/", community_views.two_factor_reset, name="account-2fa-reset"),
    path("account/security-policy/", community_views.security_policy, name="account-security-policy"),
    path("audit/", audit_views.audit_log, name="audit-log"),
    # The one-time link of an invitation e-mail (Django's password-reset token: void once the password is set).
    path("account/set-password/<uidb64>/<token>/", people_views.SetPasswordView.as_view(), name="account-set-password"),
]
