"""Back office for outbound webhooks: endpoints (secret shown, rotatable), the outbox, and the
delivery log with its attempts and a Replay action."""

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.core.errors import DomainError
from apps.webhooks import services
from apps.webhooks.models import (
    EventType,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class EndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.CharField(max_length=2000, label="URL")
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "event_types", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "url" in data and "event_types" in data:
            try:
                data["url"], data["event_types"] = services.clean_endpoint(
                    url=data["url"],
                    event_types=data["event_types"],
                    exclude_pk=None if self.instance._state.adding else self.instance.pk,
                )
            except DomainError as exc:
                for field, problems in (exc.errors or {"url": [exc.detail]}).items():
                    for problem in problems:
                        self.add_error(field, problem)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = EndpointForm
    list_display = (
        "url",
        "is_active",
        "subscribed",
        "consecutive_failures",
        "disabled_at",
        "deliveries_link",
    )
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = (
        "secret",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("url", "description", "event_types", "is_active")}),
        (
            "Signing",
            {
                "fields": ("secret",),
                "description": "Receivers verify the Emporium-Signature header with this "
                "secret. Use the “Rotate secret” action to replace it.",
            },
        ),
        (
            "Health",
            {"fields": ("consecutive_failures", "disabled_at", "disabled_reason")},
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    actions = ("rotate_secret", "enable")

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        # A new endpoint gets its secret there; one switched back on, a clean failure count.
        services.save_endpoint(endpoint=obj, changed=form.changed_data)

    @admin.display(description="events")
    def subscribed(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types)

    @admin.display(description="deliveries")
    def deliveries_link(self, obj: WebhookEndpoint) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html('<a href="{}?endpoint__id__exact={}">Deliveries</a>', url, obj.pk)

    @admin.action(description="Rotate the secret of the selected endpoints", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        endpoints = list(queryset)
        for endpoint in endpoints:
            services.rotate_secret(endpoint=endpoint)
        self.message_user(
            request,
            f"New secret for {len(endpoints)} endpoint(s); give it to the receiver.",
            messages.SUCCESS,
        )

    @admin.action(description="Re-enable the selected endpoints", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        endpoints = list(queryset.filter(is_active=False))
        for endpoint in endpoints:
            services.update_endpoint(endpoint=endpoint, is_active=True)
        self.message_user(request, f"{len(endpoints)} endpoint(s) re-enabled.", messages.SUCCESS)


class AttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "started_at",
        "duration_ms",
        "succeeded",
        "status_code",
        "error",
        "response_snippet",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = (
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    list_select_related = ("event", "endpoint")
    list_filter = ("status", "event__type", ("endpoint", admin.RelatedOnlyFieldListFilter))
    search_fields = ("id",)
    search_help_text = "A delivery id or an event id."
    readonly_fields = (
        "endpoint",
        "event",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "claimed_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = (AttemptInline,)
    actions = ("replay",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False  # the log is read-only; the Replay action sends one again

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.replay_webhookdelivery")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery], search_term: str
    ) -> tuple[QuerySet[WebhookDelivery], bool]:
        """Find a delivery by its own id or its event's (what a receiver logs)."""
        if not search_term.strip():
            return queryset, False
        try:
            wanted = UUID(search_term.strip())
        except ValueError:
            return queryset.none(), False
        return queryset.filter(pk=wanted) | queryset.filter(event_id=wanted), False

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="payload")
    def payload(self, obj: WebhookDelivery) -> str:
        from apps.webhooks.delivery import event_body

        return event_body(obj.event).decode()

    @admin.action(
        description="Replay the selected deliveries (same event id)", permissions=["replay"]
    )
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        replayed, skipped = services.replay_deliveries(deliveries=list(queryset))
        if replayed:
            self.message_user(request, f"{replayed} delivery(ies) sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} delivery(ies) not replayed: their endpoint is disabled.",
                messages.WARNING,
            )


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin[OutboxEvent]):
    list_display = ("id", "type", "created_at", "dispatched_at")
    list_filter = ("type",)
    readonly_fields = ("id", "type", "data", "created_at", "dispatched_at")
    fields = readonly_fields
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False
