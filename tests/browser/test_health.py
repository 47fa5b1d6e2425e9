"""Connection health in a real browser: step 1's checklist of what the key may do, and the banner that leads an
admin from any page to a new key when Tripletex stops taking the old one."""
import itertools

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from hr.models import Employee, Project, TimeEntry
from hr.services import time_entries_approve
from integrations.models import Connection, HourTransfer
from tests.factories import ActivityFactory, TimeEntryFactory
from wizard import services
from wizard.models import Draft

from .conftest import log_in
from .test_wizard import activate_with_services, paste_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_names = itertools.count(1)


def new_company(fake) -> dict:
    return fake.create_company(f"Helse {next(_names)} AS", applications=["GrønnJobb"], employees=3, projects=3,
                               wage_types=3)


def right(page, key: str):
    return page.locator(f'[data-right="{key}"]')


def test_step_1_lists_what_a_key_without_timesheet_rights_may_do_and_lets_the_admin_go_on(page, world,
                                                                                          fake_tripletex):
    company = new_company(fake_tripletex)
    token = company["employee_tokens"]["GrønnJobb"]
    fake_tripletex.deny_rights(token, {"path": "/timesheet/entry"})
    log_in(page, "alice@alfa.no")
    page.goto("/tripletex/aktivering/api-nokkel/")
    paste_token(page, token)

    checklist = page.get_by_test_id("key-rights")
    expect(checklist.locator("li.right")).to_have_count(6)
    expect(right(page, "timesheet")).to_have_attribute("data-state", "missing")
    expect(right(page, "timesheet")).to_contain_text("Føre timer for alle ansatte")
    expect(right(page, "timesheet")).to_contain_text("mangler denne tilgangen i Tripletex")
    expect(right(page, "timesheet")).to_contain_text("Ansatte → velg brukeren → Tilganger")
    expect(right(page, "timesheet")).to_contain_text("Inntil da: Godkjente timer sendes ikke til Tripletex")
    for key in ("projects", "employees", "wage_types", "wage_counts", "activities"):
        expect(right(page, key)).to_have_attribute("data-state", "ok")
    expect(checklist).to_contain_text("Du kan gå videre likevel")
    page.get_by_role("link", name="Neste", exact=True).click()
    expect(page.get_by_role("heading", name="Steg 2: Prosjekter")).to_be_visible()


def test_the_checklist_appears_by_itself_when_the_check_finishes_after_the_page(page, world, fake_tripletex):
    company = new_company(fake_tripletex)
    token = company["employee_tokens"]["GrønnJobb"]
    log_in(page, "alice@alfa.no")
    page.goto("/tripletex/aktivering/api-nokkel/")
    paste_token(page, token)
    expect(right(page, "projects")).to_have_attribute("data-state", "ok")
    # As when the worker has not got to the check yet: the page says so and asks again by itself.
    with scope(tenant=world.a):
        Draft.objects.filter(tenant=world.a).update(rights={}, rights_checked_at=None)
    page.reload()
    expect(page.get_by_test_id("key-rights")).to_contain_text("Sjekker tilgangene")
    with scope(tenant=world.a):
        services.draft_rights_check(draft_id=Draft.objects.get(tenant=world.a).id)
    expect(right(page, "timesheet")).to_have_attribute("data-state", "ok", timeout=5000)


def test_a_revoked_key_shows_a_banner_on_every_admin_page_that_leads_to_a_new_key(page, world, fake_tripletex):
    company = new_company(fake_tripletex)
    old_token = company["employee_tokens"]["GrønnJobb"]
    activate_with_services(world.a, world.alice, old_token)
    fake_tripletex.revoke_token(old_token)
    with scope(tenant=world.a):
        entry = TimeEntryFactory(
            tenant=world.a, employee=Employee.objects.filter(tenant=world.a).order_by("id").first(),
            project=Project.objects.filter(tenant=world.a).order_by("id").first(),
            activity=ActivityFactory(tenant=world.a, name="Helsesjekk"),
        )
        # The push runs on commit, as the worker would: Tripletex refuses the key.
        time_entries_approve(tenant=world.a, entries=TimeEntry.objects.filter(id=entry.id), by=world.alice)
        assert Connection.objects.get(tenant=world.a).needs_token
        assert HourTransfer.objects.get(tenant=world.a, local_entry_id=entry.id).state == HourTransfer.State.PENDING

    log_in(page, "alice@alfa.no")
    for name in ("Godkjenning", "Timeoverføring", "Selskapsinnstillinger"):
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_test_id("key-banner")).to_be_visible()
    expect(page.get_by_test_id("tripletex-status")).to_have_text("Trenger ny API-nøkkel")
    page.get_by_test_id("key-banner").get_by_role("link", name="Legg inn ny API-nøkkel").click()

    expect(page.get_by_role("heading", name="Steg 1: API-nøkkel")).to_be_visible()
    expect(page.get_by_test_id("key-refused")).to_contain_text("Tripletex godtar ikke lenger den lagrede API-nøkkelen")
    expect(page.get_by_test_id("key-refused")).to_contain_text(fake_tripletex.base_url)
    new_token = fake_tripletex.make_token(company["id"], "GrønnJobb")
    page.locator("input[name=token]").fill(new_token)
    page.get_by_role("button", name="Bruk denne nøkkelen", exact=True).click()
    page.get_by_test_id("resume-with-key").click()

    expect(page.get_by_test_id("tripletex-status")).to_have_text("Aktiv")
    expect(page.get_by_test_id("key-banner")).to_have_count(0)
    with scope(tenant=world.a):
        connection = Connection.objects.get(tenant=world.a)
        assert connection.is_active and connection.employee_token == new_token
        assert HourTransfer.objects.get(tenant=world.a, local_entry_id=entry.id).state == HourTransfer.State.SENT
    assert len(fake_tripletex.objects(company["id"], "timesheet_entry")) == 1

