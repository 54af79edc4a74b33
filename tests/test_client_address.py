import pytest
from django.test import RequestFactory

from limits.client_address import client_address


@pytest.fixture
def request_from():
    def build(remote, forwarded=None):
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return RequestFactory().get("/", **meta)

    return build


def test_without_trusted_proxies_the_header_is_ignored(settings, request_from):
    settings.TRUSTED_PROXIES = []
    assert client_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client(settings, request_from):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = request_from("10.0.0.2", "198.51.100.1")
    assert client_address(request) == "198.51.100.1"


def test_addresses_the_client_wrote_itself_are_not_believed(settings, request_from):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = request_from("10.0.0.2", "1.2.3.4, 198.51.100.1")
    assert client_address(request) == "198.51.100.1"


def test_an_untrusted_sender_cannot_claim_an_address(settings, request_from):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_without_header_is_the_address(settings, request_from):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_address(request_from("10.0.0.2")) == "10.0.0.2"
