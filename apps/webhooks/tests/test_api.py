"""The staff webhook API: endpoints and their validation, secrets, deliveries, replays,
permissions and query counts."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.permissions import INTEGRATION_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role
from apps.users.tests.factories import StaffUserFactory, SuperUserFactory, UserFactory
from apps.webhooks import delivery as sender
from apps.webhooks import services
from apps.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ENDPOINTS_URL = "/api/v1/staff/webhooks/endpoints/"
VALID: dict[str, Any] = {"url": "https://hooks.example.com/emporium", "event_types": ["order.paid"]}


def endpoint_url(endpoint, tail: str = "") -> str:
    return f"{ENDPOINTS_URL}{endpoint.pk}/{tail}"


def replay_url(delivery) -> str:
    return f"{ENDPOINTS_URL}{delivery.endpoint_id}/deliveries/{delivery.pk}/replay/"


@pytest.fixture
def staff() -> APIClient:
    return client_for(staff_with_role(INTEGRATION_MANAGERS))


def delivered(endpoint, n: int = 0) -> WebhookDelivery:
    event = services.publish_event(type=EventType.ORDER_PAID, data={"n": n})
    services.dispatch_events(event_ids=[event.pk])
    item = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    sender.send_delivery(delivery_id=item.pk, claim="test")
    return item


# --- Endpoints ------------------------------------------------------------------------------


def test_staff_register_an_endpoint_and_see_its_secret(staff):
    response = staff.post(
        ENDPOINTS_URL,
        {
            "url": "https://Hooks.Example.com/emporium?x=1",
            "description": "ERP",
            "event_types": ["order.paid", "order.created", "order.paid"],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["id"] == str(endpoint.pk)
    assert body["url"] == "https://hooks.example.com/emporium?x=1"  # the host in lower case
    assert body["event_types"] == ["order.paid", "order.created"]
    assert body["secret"] == endpoint.secret
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) > 40
    assert (body["is_active"], body["consecutive_failures"]) == (True, 0)
    assert staff.get(endpoint_url(endpoint)).json()["secret"] == endpoint.secret


def test_the_list_leaves_the_secrets_out(staff):
    services.create_endpoint(**VALID)

    [item] = staff.get(ENDPOINTS_URL).json()

    assert item["url"] == VALID["url"]
    assert "secret" not in item


BAD_INPUTS = [
    ({"event_types": ["order.paid"]}, "url"),
    ({"url": "https://hooks.example.com/"}, "event_types"),
    ({**VALID, "event_types": []}, "event_types"),
    ({**VALID, "event_types": ["order.exploded"]}, "event_types"),
    ({**VALID, "event_types": "order.paid"}, "event_types"),
    ({**VALID, "url": "ftp://hooks.example.com/"}, "url"),
    ({**VALID, "url": "javascript:alert(1)"}, "url"),
    ({**VALID, "url": "not a url"}, "url"),
    ({**VALID, "url": "https://"}, "url"),
    ({**VALID, "url": "https://user:pass@hooks.example.com/"}, "url"),
    ({**VALID, "url": "https://token@hooks.example.com/"}, "url"),
    ({**VALID, "url": "https://hooks.example.com:99999/"}, "url"),
    ({**VALID, "url": "https://hooks.example.com/#part"}, "url"),
    ({**VALID, "url": "https://example.com/" + "a" * 2000}, "url"),
    ({**VALID, "is_active": "maybe"}, "is_active"),
]


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS)
def test_bad_endpoints_are_refused_with_a_problem_naming_the_field(staff, data, field):
    response = staff.post(ENDPOINTS_URL, data, format="json")

    body = assert_problem(response, 400, response.json()["code"])
    assert body["code"] in {"validation_error", "invalid_webhook_endpoint"}
    assert any(error["field"].split(".")[0] == field for error in body["errors"]), body
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://printer.local/hooks",
    ],
)
def test_insecure_or_private_urls_are_refused_unless_allowed(staff, settings, url):
    settings.WEBHOOK_ALLOW_INSECURE_URLS = False

    response = staff.post(ENDPOINTS_URL, {**VALID, "url": url}, format="json")

    assert_problem(response, 400, "invalid_webhook_endpoint", field="url")
    assert not WebhookEndpoint.objects.exists()
    settings.WEBHOOK_ALLOW_INSECURE_URLS = True
    assert staff.post(ENDPOINTS_URL, {**VALID, "url": url}, format="json").status_code == 201


def test_a_second_endpoint_for_the_same_url_is_a_conflict(staff):
    services.create_endpoint(**VALID)

    response = staff.post(
        ENDPOINTS_URL, {**VALID, "url": "https://HOOKS.example.com/emporium"}, format="json"
    )

    assert_problem(response, 409, "webhook_endpoint_exists", field="url")
    assert WebhookEndpoint.objects.count() == 1


def test_staff_change_an_endpoint_and_bad_changes_change_nothing(staff):
    endpoint = services.create_endpoint(**VALID)
    taken = services.create_endpoint(url="https://other.example.com/", event_types=["stock.low"])

    response = staff.patch(
        endpoint_url(endpoint),
        {"event_types": ["stock.low", "product.updated"], "description": "Stock sync"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["event_types"] == ["stock.low", "product.updated"]

    for data, status in [
        ({"url": "https://u:p@hooks.example.com/"}, 400),
        ({"event_types": ["nope"]}, 400),
        ({"url": taken.url}, 409),
    ]:
        problem = staff.patch(endpoint_url(endpoint), data, format="json")
        assert problem.status_code == status, problem.content
        assert problem["Content-Type"] == "application/problem+json"
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.description) == (
        VALID["url"],
        ["stock.low", "product.updated"],
        "Stock sync",
    )


def test_re_enabling_an_endpoint_resets_its_failures(staff):
    endpoint = services.create_endpoint(**VALID)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=10, disabled_reason="Disabled after 10 failures."
    )

    body = staff.patch(endpoint_url(endpoint), {"is_active": True}, format="json").json()

    assert (body["is_active"], body["consecutive_failures"], body["disabled_at"]) == (True, 0, None)
    assert body["disabled_reason"] == ""


def test_rotating_the_secret_replaces_it(staff):
    endpoint = services.create_endpoint(**VALID)

    response = staff.post(endpoint_url(endpoint, "rotate-secret/"))

    assert response.status_code == 200
    endpoint_secret = WebhookEndpoint.objects.get().secret
    assert response.json()["secret"] == endpoint_secret != endpoint.secret


def test_deleting_an_endpoint_takes_its_deliveries(staff, receiver):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    delivered(endpoint)

    assert staff.delete(endpoint_url(endpoint)).status_code == 204

    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert_problem(staff.get(endpoint_url(endpoint)), 404, "not_found")


# --- Deliveries -----------------------------------------------------------------------------


def test_deliveries_list_their_attempts_newest_first_in_pages(staff, receiver):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    receiver.fail_next(1, status=500, body=b"oops")
    first, second, third = (delivered(endpoint, n) for n in range(3))

    page = staff.get(endpoint_url(endpoint, "deliveries/"), {"page_size": 2}).json()

    assert [item["id"] for item in page["results"]] == [str(third.pk), str(second.pk)]
    rest = staff.get(page["next"]).json()
    [failed] = rest["results"]
    assert failed["id"] == str(first.pk)
    assert failed["event_id"] == str(first.event_id)
    assert (failed["status"], failed["attempts"], failed["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    [attempt] = failed["attempt_log"]
    assert (attempt["succeeded"], attempt["status_code"], attempt["response_snippet"]) == (
        False,
        500,
        "oops",
    )
    only_pending = staff.get(endpoint_url(endpoint, "deliveries/"), {"status": "pending"})
    assert [item["id"] for item in only_pending.json()["results"]] == [str(first.pk)]


@pytest.mark.parametrize(
    "params", [{"status": "lost"}, {"event_type": "order.exploded"}, {"cursor": "garbage"}]
)
def test_bad_delivery_filters_are_a_400_problem(staff, params):
    endpoint = services.create_endpoint(**VALID)

    response = staff.get(endpoint_url(endpoint, "deliveries/"), params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_replay_sends_the_delivery_again(staff, receiver, django_capture_on_commit_callbacks):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    item = delivered(endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(replay_url(item))

    assert response.status_code == 202, response.content
    assert response.json()["id"] == str(item.pk)
    assert [r.event_id for r in receiver.requests] == [str(item.event_id)] * 2
    assert len(staff.get(endpoint_url(endpoint, "deliveries/")).json()["results"][0][
        "attempt_log"
    ]) == 2  # fmt: skip


def test_replays_of_a_disabled_endpoint_or_of_another_s_delivery_are_refused(staff, receiver):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    other = services.create_endpoint(url=receiver.url + "/other", event_types=["order.paid"])
    item = delivered(endpoint)

    wrong = staff.post(f"{ENDPOINTS_URL}{other.pk}/deliveries/{item.pk}/replay/")
    assert_problem(wrong, 404, "not_found")
    services.update_endpoint(endpoint=endpoint, is_active=False)
    assert_problem(staff.post(replay_url(item)), 409, "webhook_endpoint_inactive")
    assert len(receiver.requests) == 1


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_the_endpoint_list_is_one_query_whatever_it_holds(staff, count, django_assert_num_queries):
    for n in range(count):
        services.create_endpoint(url=f"https://hooks{n}.example.com/", event_types=["stock.low"])

    staff.get(ENDPOINTS_URL)  # the staff member's last-seen time is written once

    # The staff user, their own and their groups' permissions, the endpoints.
    with django_assert_num_queries(4):
        response = staff.get(ENDPOINTS_URL)

    assert len(response.json()) == count


@pytest.mark.parametrize("count", [1, 6])
def test_the_delivery_list_is_a_fixed_number_of_queries(
    staff, receiver, count, django_assert_num_queries
):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    receiver.fail_next(count)
    for n in range(count):
        delivered(endpoint, n)

    staff.get(ENDPOINTS_URL)  # the staff member's last-seen time is written once

    # The staff user, their own and their groups' permissions, the endpoint, the deliveries
    # with their events, their attempts.
    with django_assert_num_queries(6):
        response = staff.get(endpoint_url(endpoint, "deliveries/"))

    assert len(response.json()["results"]) == count


# --- Permissions ----------------------------------------------------------------------------


def every_request(endpoint, item) -> list[tuple[str, str, dict]]:
    return [
        ("get", ENDPOINTS_URL, {}),
        ("post", ENDPOINTS_URL, VALID),
        ("get", endpoint_url(endpoint), {}),
        ("patch", endpoint_url(endpoint), {"description": "x"}),
        ("delete", endpoint_url(endpoint), {}),
        ("post", endpoint_url(endpoint, "rotate-secret/"), {}),
        ("get", endpoint_url(endpoint, "deliveries/"), {}),
        ("post", replay_url(item), {}),
    ]


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("customer", 403, "permission_denied"),
        ("staff without a role", 403, "permission_denied"),
        (SUPPORT, 403, "permission_denied"),
        (ORDER_MANAGERS, 403, "permission_denied"),
    ],
)
def test_only_integration_managers_and_superusers_may_use_the_api(receiver, who, status, code):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    item = delivered(endpoint)
    secret = endpoint.secret
    clients = {
        "anonymous": APIClient(),
        "customer": client_for(UserFactory.create()),
        "staff without a role": client_for(StaffUserFactory.create()),
    }
    client = clients.get(who) or client_for(staff_with_role(who))

    for method, url, data in every_request(endpoint, item):
        response = getattr(client, method)(url, data, format="json")
        assert_problem(response, status, code)
        assert secret not in response.content.decode()

    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.description) == (secret, "")
    assert WebhookEndpoint.objects.count() == 1
    assert len(receiver.requests) == 1


def test_superusers_may_use_the_api(receiver):
    endpoint = services.create_endpoint(url=receiver.url, event_types=["order.paid"])
    client = client_for(SuperUserFactory.create())
    assert client.get(endpoint_url(endpoint)).json()["secret"] == endpoint.secret
