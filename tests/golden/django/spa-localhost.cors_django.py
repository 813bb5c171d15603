# corsc 0.1.0 from spa-localhost.cors for target django; policy sha256:a60bce05d53f0955; generated — edit the policy, not this file
"""django-cors-headers settings, compiled by corsc.

In settings.py::

    from .cors_django import *  # noqa: F403

with "corsheaders" in INSTALLED_APPS and "corsheaders.middleware.CorsMiddleware" in MIDDLEWARE
above CommonMiddleware (and WhiteNoise). Paths are matched against path_info.

Verified with Django 5.2.19 and django-cors-headers 4.9.0.
"""

CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOWED_ORIGINS = [
    "https://localhost:3000",
]
CORS_ALLOWED_ORIGIN_REGEXES = []
CORS_URLS_REGEX = r"\A(?:/)"
CORS_ALLOW_METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
]
CORS_ALLOW_HEADERS = [
    "Content-Type",
    "Accept",
    "X-Requested-With",
]
CORS_EXPOSE_HEADERS = []
CORS_ALLOW_CREDENTIALS = True
CORS_PREFLIGHT_MAX_AGE = 0
CORS_ALLOW_PRIVATE_NETWORK = False
