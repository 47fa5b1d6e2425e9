"""Seed 004: "Denne integrasjonen krever at du har Tripletex Komplett": switching the connector on checks first."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scope

from integrations.models import ConnectorConfig, OutboundChange, SyncRun

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def switched_off(drifti):
    ConnectorConfig.objects.filter(tenant=drifti.tenant, name="invoices").update(enabled=False)
    return drifti


def _switch_on(drifti, world):
    return world.client_for(world.alice, world.a).post(reverse("integrations:connector_enable", args=["invoices"]))


def test_switching_on_without_voucher_access_says_so_and_leaves_it_off(switched_off, world):
    switched_off.fake.deny_rights(switched_off.token, {"path": "/ledger/voucher"})
    switched_off.issue()
    response = _switch_on(switched_off, world)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="connector-refused"' in page
    assert "krever Tripletex Komplett" in page and "bilag" in page
    with scope(tenant=switched_off.tenant):
        assert not ConnectorConfig.objects.get(tenant=switched_off.tenant, name="invoices").enabled
        assert not SyncRun.objects.filter(tenant=switched_off.tenant, connector="invoices").exists()
        assert not OutboundChange.objects.filter(tenant=switched_off.tenant, kind="invoice").exists()
    writes = [k for k in switched_off.calls() if not k.startswith("GET") and "/token/session" not in k]
    assert writes == [] and switched_off.fake.objects(switched_off.company_id, "voucher") == []


def test_switching_on_without_the_chart_of_accounts_names_the_chart(switched_off, world):
    switched_off.fake.deny_rights(switched_off.token, {"path": "/ledger/account"})
    page = _switch_on(switched_off, world).content.decode()
    assert "kontoplanen (hovedbok)" in page and "bilag (avanserte" not in page
    with scope(tenant=switched_off.tenant):
        assert not ConnectorConfig.objects.get(tenant=switched_off.tenant, name="invoices").enabled


def test_switching_on_with_komplett_reads_twice_and_switches_on(switched_off, world):
    response = _switch_on(switched_off, world)
    assert response.status_code == 302
    with scope(tenant=switched_off.tenant):
        assert ConnectorConfig.objects.get(tenant=switched_off.tenant, name="invoices").enabled
    calls = {k: v for k, v in switched_off.calls().items() if "/token/session" not in k}
    assert calls == {"GET /ledger/voucher": 1, "GET /ledger/account": 1}


def test_switching_on_works_once_the_access_is_given(switched_off, world):
    switched_off.fake.deny_rights(switched_off.token, {"path": "/ledger/voucher"})
    _switch_on(switched_off, world)
    switched_off.fake.deny_rights(switched_off.token)
    assert _switch_on(switched_off, world).status_code == 302
    with scope(tenant=switched_off.tenant):
        assert ConnectorConfig.objects.get(tenant=switched_off.tenant, name="invoices").enabled


def test_the_command_line_refuses_the_switch_with_the_same_reason(switched_off):
    switched_off.fake.deny_rights(switched_off.token, {"path": "/ledger/voucher"})
    with pytest.raises(CommandError, match="krever Tripletex Komplett"):
        call_command("connectors", "--tenant", switched_off.tenant.slug, "enable", "invoices")
    with scope(tenant=switched_off.tenant):
        assert not ConnectorConfig.objects.get(tenant=switched_off.tenant, name="invoices").enabled
