"""Request middleware of the portal."""


class ChineseByDefaultMiddleware:
    """Web pages are Chinese unless the user picked English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language browser on a
    district office PC would get English pages. Pages ignore that header; the choice is the language cookie set
    by the switch. The API keeps honouring Accept-Language for its error messages (a mobile client sets it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
