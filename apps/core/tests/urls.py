"""Views that fail on purpose, to test how errors are answered."""

from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import OutOfStock
from config.urls import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class _Line(serializers.Serializer[Any]):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)


class _Order(serializers.Serializer[Any]):
    email = serializers.EmailField()
    lines = _Line(many=True)


class BoomView(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("database password is hunter2")  # internals that must not leak


class DomainErrorView(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        raise OutOfStock("Only 2 of SKU-1 are available.", errors={"quantity": ["Max 2."]})


class NestedValidationView(APIView):
    permission_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        _Order(data=request.data).is_valid(raise_exception=True)
        return Response(status=204)


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view failure")


def plain_forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def plain_suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


urlpatterns = [
    path("api/test/boom/", BoomView.as_view()),
    path("api/test/domain/", DomainErrorView.as_view()),
    path("api/test/nested/", NestedValidationView.as_view()),
    path("api/test/plain-boom/", plain_boom),
    path("plain-boom/", plain_boom),
    path("api/test/plain-forbidden/", plain_forbidden),
    path("api/test/plain-suspicious/", plain_suspicious),
    path("plain-forbidden/", plain_forbidden),
    path("", include("config.urls")),
]
