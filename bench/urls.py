"""The portal's URLs plus the benchmark floors (ROOT_URLCONF when BENCH_FLOORS=1; never in production)."""

from django.urls import path

from bench.floors import floor
from renovation_portal.urls import urlpatterns as portal

urlpatterns = [path("bench-floor/<str:name>/", floor, name="bench-floor"), *portal]
