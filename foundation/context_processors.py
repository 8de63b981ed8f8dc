from django.conf import settings


def site(request):
    """The site's name and base URL, for page titles and absolute OpenGraph URLs."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
