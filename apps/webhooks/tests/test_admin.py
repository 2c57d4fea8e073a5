"""The webhook back office: endpoints (secret shown, rotatable, validated), the delivery log
with its attempts and the Replay action, the outbox; what each role may do there."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.core.permissions import INTEGRATION_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.users.tests.factories import SuperUserFactory
from apps.webhooks import delivery as sender
from apps.webhooks import services
from apps.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:webhooks_{model}_{view}", args=args)


@pytest.fixture
def admin_client():
    return admin_client_for(SuperUserFactory.create())


def delivered(endpoint, n: int = 0) -> WebhookDelivery:
    event = services.publish_event(type=EventType.ORDER_PAID, data={"n": n})
    services.dispatch_events(event_ids=[event.pk])
    item = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    sender.send_delivery(delivery_id=item.pk, claim="test")
    return item


def form_data(**overrides) -> dict:
    return {
        "url": "https://hooks.example.com/erp",
        "description": "ERP",
        "event_types": ["order.created", "order.paid"],
        "is_active": "on",
    } | overrides


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_adding_an_endpoint_gives_it_a_secret_shown_on_its_page(admin_client):
    response = admin_client.post(url("webhookendpoint", "add"), form_data())

    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["order.created", "order.paid"]
    assert endpoint.secret.startswith("whsec_")
    page = admin_client.get(url("webhookendpoint", "change", endpoint.pk))
    assert page.status_code == 200
    assert endpoint.secret in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "https://u:p@hooks.example.com/"}, "url"),
        ({"url": "gopher://hooks.example.com/"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["order.exploded"]}, "event_types"),
    ],
)
def test_the_admin_form_refuses_what_the_api_refuses(admin_client, overrides, field):
    response = admin_client.post(url("webhookendpoint", "add"), form_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_refuses_a_duplicate_and_a_private_host_in_production_mode(
    admin_client, settings
):
    services.create_endpoint(url="https://hooks.example.com/erp", event_types=["order.paid"])
    settings.WEBHOOK_ALLOW_INSECURE_URLS = False

    for data in (form_data(), form_data(url="https://10.0.0.7/hook")):
        response = admin_client.post(url("webhookendpoint", "add"), data)
        assert "url" in response.context["adminform"].form.errors
    assert WebhookEndpoint.objects.count() == 1


def test_switching_an_endpoint_back_on_in_the_admin_resets_its_failures(admin_client):
    endpoint = services.create_endpoint(url="https://hooks.example.com/", event_types=["stock.low"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, consecutive_failures=10)

    response = admin_client.post(
        url("webhookendpoint", "change", endpoint.pk),
        form_data(url=endpoint.url, event_types=["stock.low"]),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures) == (True, 0)


def test_the_rotate_action_gives_new_secrets(admin_client):
    endpoint = services.create_endpoint(url="https://hooks.example.com/", event_types=["stock.low"])

    response = admin_client.post(
        url("webhookendpoint"),
        {"action": "rotate_secret", "index": "0", "_selected_action": [str(endpoint.pk)]},
    )

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get().secret != endpoint.secret
    assert "New secret for 1 endpoint(s)" in messages_of(response)[0]


def test_the_delivery_log_shows_attempts_and_the_replay_action_sends_again(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    receiver.fail_next(1, body=b"database is down")
    item = delivered(endpoint)

    listing = admin_client.get(url("webhookdelivery"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [item]
    page = admin_client.get(url("webhookdelivery", "change", item.pk))
    assert page.status_code == 200
    content = page.content.decode()
    assert "database is down" in content  # the attempt's response, inline
    assert str(item.event_id) in content  # the payload
    found = admin_client.get(url("webhookdelivery"), {"q": str(item.event_id)})
    assert list(found.context["cl"].result_list) == [item]
    assert (
        list(admin_client.get(url("webhookdelivery"), {"q": "x"}).context["cl"].result_list) == []
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url("webhookdelivery"),
            {"action": "replay", "index": "0", "_selected_action": [str(item.pk)]},
        )

    assert response.status_code == 302
    assert messages_of(response) == ["1 delivery(ies) sent again."]
    assert [r.event_id for r in receiver.requests] == [str(item.event_id)] * 2
    item.refresh_from_db()
    assert (item.status, item.attempt_log.count()) == ("succeeded", 2)


def test_the_outbox_and_the_endpoint_list_pages_load(admin_client):
    endpoint = services.create_endpoint(url="https://hooks.example.com/", event_types=["stock.low"])
    services.publish_event(type=EventType.STOCK_LOW, data={"sku": "A"})

    assert admin_client.get(url("outboxevent")).status_code == 200
    listing = admin_client.get(url("webhookendpoint"))
    assert list(listing.context["cl"].result_list) == [endpoint]


@pytest.mark.parametrize("count", [1, 5])
def test_the_delivery_log_runs_a_fixed_number_of_queries(
    admin_client, receiver, count, django_assert_max_num_queries
):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    for n in range(count):
        delivered(endpoint, n)
    admin_client.get(url("webhookdelivery"))

    with django_assert_max_num_queries(12):
        response = admin_client.get(url("webhookdelivery"))

    assert len(response.context["cl"].result_list) == count


def test_integration_managers_replay_and_support_does_not_see_webhooks(receiver):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    item = delivered(endpoint)

    manager = admin_client_for(staff_with_role(INTEGRATION_MANAGERS))
    listing = manager.get(url("webhookdelivery"))
    choices = {value for value, _ in listing.context["action_form"].fields["action"].choices}
    assert "replay" in choices
    assert manager.get(url("webhookendpoint", "change", endpoint.pk)).status_code == 200

    support = admin_client_for(staff_with_role(SUPPORT))
    assert support.get(url("webhookdelivery")).status_code == 403
    assert support.get(url("webhookendpoint")).status_code == 403
    support.post(
        url("webhookdelivery"),
        {"action": "replay", "index": "0", "_selected_action": [str(item.pk)]},
    )
    assert len(receiver.requests) == 1
