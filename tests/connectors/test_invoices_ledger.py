"""Seed 004, Hovedbok: our chart of accounts matched to the company's chart in Tripletex (the fake, over HTTP)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from commerce import services
from commerce.models import LedgerAccount
from integrations.connectors.invoices import ledger
from integrations.connectors.services import sync_record_retry
from integrations.models import Connection
from tenants.models import Membership
from tests.factories import MembershipFactory, UserFactory

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db


def _account(drifti, number: str) -> LedgerAccount:
    with scope(tenant=drifti.tenant):
        return LedgerAccount.objects.get(tenant=drifti.tenant, number=number)


@pytest.fixture
def unmapped(drifti):
    LedgerAccount.objects.filter(tenant=drifti.tenant).update(tripletex_number="")
    return drifti


def _rows(drifti) -> dict[str, dict]:
    with scope(tenant=drifti.tenant):
        chart = ledger.tripletex_chart(tenant=drifti.tenant)
        return {r["account"].number: r for r in ledger.matching_rows(tenant=drifti.tenant, chart=chart)}


def test_hovedbok_suggests_the_tripletex_account_with_the_same_number(unmapped):
    rows = _rows(unmapped)
    assert (rows["1500"]["suggestion"].number, rows["1500"]["suggestion"].reason) == ("1500", "samme kontonummer")
    assert rows["3000"]["suggestion"].number == "3000"


def test_hovedbok_suggests_by_name_in_the_same_account_class_when_no_number_matches(unmapped):
    with scope(tenant=unmapped.tenant):
        services.ledger_account_save(tenant=unmapped.tenant, data={"number": "1910", "name": "Bankinnskudd drift",
                                                                   "role": "purchases", "vat_code": ""})
    rows = _rows(unmapped)
    assert rows["1910"]["suggestion"].number == "1920"  # "Bankinnskudd", not 1900 "Kontanter"
    assert rows["3010"]["suggestion"].number[0] == "3"  # a sales account, never an asset


def test_hovedbok_suggests_nothing_when_no_name_is_alike(unmapped):
    with scope(tenant=unmapped.tenant):
        services.ledger_account_save(tenant=unmapped.tenant, data={"number": "8999", "name": "Ekstraordinært",
                                                                   "role": "purchases", "vat_code": ""})
    assert _rows(unmapped)["8999"]["suggestion"] is None


def test_hovedbok_reads_tripletex_once_and_writes_nothing(unmapped, world):
    client = world.client_for(world.alice, world.a)
    unmapped.fake.clear_calls()
    page = client.get(reverse("commerce:ledger_matching")).content.decode()
    assert "Bruk forslaget" in page and "1920 Bankinnskudd" in page
    calls = {k: v for k, v in unmapped.calls().items() if "/token/session" not in k}
    assert calls == {"GET /ledger/account": 1}


def test_one_click_accepts_a_suggestion_and_the_invoice_is_then_sent(unmapped, world):
    client = world.client_for(world.alice, world.a)
    invoice = unmapped.issue()
    unmapped.push()
    assert "1500 Kundefordringer" in unmapped.records("invoice", invoice.id)[-1].message
    for number in ("1500", "3000", "3010"):
        page = client.get(reverse("commerce:ledger_matching")).content.decode()
        assert "Bruk forslaget" in page
        suggestion = _rows(unmapped)[number]["suggestion"].number
        client.post(reverse("commerce:ledger_account_match", kwargs={"account_id": _account(unmapped, number).id}),
                    {"tripletex_number": suggestion})
        assert _account(unmapped, number).tripletex_number == suggestion
    with scope(tenant=unmapped.tenant):
        sync_record_retry(tenant=unmapped.tenant, record_id=unmapped.records("invoice", invoice.id)[-1].id)
    unmapped.push()
    assert unmapped.voucher(str(invoice.number))["attachment"]


def test_an_account_tripletex_does_not_have_cannot_be_chosen(unmapped, world):
    client = world.client_for(world.alice, world.a)
    account = _account(unmapped, "1500")
    response = client.post(reverse("commerce:ledger_account_match", kwargs={"account_id": account.id}),
                           {"tripletex_number": "6540"}, follow=True)  # inactive in Tripletex
    assert "6540 finnes ikke (eller er inaktiv) i Tripletex." in response.content.decode()
    assert _account(unmapped, "1500").tripletex_number == ""


def test_hovedbok_without_a_connection_says_to_connect_first(world):
    client = world.client_for(world.alice, world.a)
    response = client.get(reverse("commerce:ledger_matching"))
    assert response.status_code == 200 and "ikke koblet til Tripletex" in response.content.decode()


def test_hovedbok_is_for_admins_only(world):
    manager = UserFactory()
    MembershipFactory(user=manager, tenant=world.a, role=Membership.Role.MANAGER)
    assert world.client_for(manager, world.a).get(reverse("commerce:ledger_matching")).status_code == 403


def test_hovedbok_shows_a_mapped_account_tripletex_no_longer_has(drifti, world):
    with scope(tenant=drifti.tenant):
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="1920").update(tripletex_number="6540")
    client = world.client_for(world.alice, world.a)
    page = client.get(reverse("commerce:ledger_matching")).content.decode()
    assert "6540 finnes ikke i Tripletex" in page
    with scope(tenant=drifti.tenant):
        assert Connection.objects.filter(tenant=drifti.tenant).exists()
