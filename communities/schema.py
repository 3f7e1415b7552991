"""OpenAPI description of the portal's own authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "communities.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A device token from POST /api/v1/auth/token/, sent as `Token <key>` (or `Bearer <key>`).",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "communities.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The web portal's session (after two-factor login where it applies).",
        }
