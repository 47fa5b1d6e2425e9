"""The wizard's pages as the admin uses them: what each button does, and what a stale page is told."""
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django_scopes import scope

from integrations.models import Connection
from wizard.models import Draft

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("wizard:step", args=["api-nokkel"])
FINISH_URL = reverse("wizard:step", args=["ferdigstill"])


def step1_buttons(html: str) -> list[str]:
    """The buttons inside step 1's card (the page head's «Avbryt» is not part of the step)."""
    card = html.split('<section class="card">', 1)[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", label)).strip()
            for attrs, label in re.findall(r"<button([^>]*)>(.*?)</button>", card, re.S)
            if 'type="button"' not in attrs]


@pytest.fixture
def alice(world):
    return world.client_for(world.alice, world.a)


@pytest.fixture
def connected(world, tx, alice, django_capture_on_commit_callbacks):
    """Company A connected to the demo Tripletex company through the pages."""
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(TOKEN_URL, {"token": tx.demo["employee_tokens"]["GrønnJobb"]})  # the fetches run on commit
    draft = Draft.objects.get(tenant=world.a)
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(FINISH_URL, {"draft": draft.id, "send_hours": "all"})
    assert Connection.objects.get(tenant=world.a).is_active
    return tx


# Step 1


def test_step1_after_an_accepted_key_has_one_way_on_and_the_key_button_says_what_it_does(
        world, tx, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = alice.post(TOKEN_URL, {"token": tx.demo["employee_tokens"]["GrønnJobb"]}, follow=True)
    html = page.content.decode()
    assert "Demo AS" in html
    assert step1_buttons(html) == ["Bruk denne nøkkelen"]
    assert len(re.findall(r">\s*Neste\s*</a>", html)) == 1


def test_the_key_button_with_an_empty_field_asks_for_the_key_also_on_a_refresh(world, connected, alice):
    with scope(tenant=world.a):
        page = alice.post(TOKEN_URL, {"token": ""})
        assert "Lim inn API-nøkkelen fra Tripletex." in page.content.decode()
        assert not Draft.objects.filter(tenant=world.a, tripletex_company_id__isnull=False).exists()


def test_a_refresh_goes_on_with_the_stored_key_by_its_own_button(world, connected, alice,
                                                                  django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        html = alice.get(TOKEN_URL).content.decode()
        assert step1_buttons(html) == ["Fortsett med den lagrede nøkkelen", "Bruk denne nøkkelen"]
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"keep_stored": "1"})
        draft = Draft.objects.get(tenant=world.a)
        assert draft.token_checked and draft.employee_token == ""


# Removing the integration while a refresh is open


def test_removing_the_integration_ends_an_open_refresh(world, connected, alice, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"keep_stored": "1"})
        assert Draft.objects.filter(tenant=world.a).exists()
        alice.post(reverse("wizard:remove"))
        assert not Draft.objects.filter(tenant=world.a).exists()
        assert Connection.objects.get(tenant=world.a).state == Connection.State.REMOVED


def test_ferdigstill_of_a_refresh_ended_by_removal_says_the_integration_was_removed(
        world, connected, alice, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"keep_stored": "1"})
        stale = Draft.objects.get(tenant=world.a).id
        alice.post(reverse("wizard:remove"))

        response = alice.post(FINISH_URL, {"draft": stale, "send_hours": "all"})
        assert response.status_code == 302 and response.url == reverse("company_settings")
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("ble fjernet mens denne oppdateringen var åpen" in m for m in said), said
        assert Connection.objects.get(tenant=world.a).state == Connection.State.REMOVED


def test_ferdigstill_of_a_refresh_whose_stored_key_is_gone_says_so_instead_of_failing(
        world, connected, django_capture_on_commit_callbacks):
    """Whatever removed the connection, a refresh that relies on the stored key cannot finish without it."""
    with scope(tenant=world.a):
        from integrations.services import connection_remove
        from wizard import services

        with django_capture_on_commit_callbacks(execute=True):
            draft = services.draft_check_token(tenant=world.a, by=world.alice, keep_stored=True)
        connection_remove(tenant=world.a, by=world.alice)
        with pytest.raises(services.WizardError) as exc:
            services.draft_finish(tenant=world.a, by=world.alice, draft_id=draft.id, send_hours=services.SEND_ALL)
        assert exc.value.code == "removed"
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_ferdigstill_of_a_run_cancelled_in_another_tab_says_it_was_cancelled_and_activates_nothing(
        world, tx, alice, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"token": tx.demo["employee_tokens"]["GrønnJobb"]})
        stale = Draft.objects.get(tenant=world.a).id
        alice.post(reverse("wizard:cancel"))

        response = alice.post(FINISH_URL, {"draft": stale, "send_hours": "all"})
        assert response.status_code == 302 and response.url == reverse("company_settings")
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert any(m.startswith("Denne aktiveringen er avbrutt") for m in said), said
        assert not Connection.objects.filter(tenant=world.a, state=Connection.State.ACTIVE).exists()
