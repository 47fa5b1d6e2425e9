"""The activation wizard (seed 001) in a real browser, against the live server and the fake Tripletex over HTTP."""
import datetime as dt
import itertools
import re
import socket
import time

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from hr.models import Employee, Project, WageType
from integrations.models import Connection, ConnectionEvent, Link
from wizard import services
from wizard.models import Draft, Item

from .conftest import log_in, raw_column

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_names = itertools.count(1)


def new_company(fake, **sizes) -> dict:
    """A Tripletex company of its own, so what one test changes no other test sees."""
    sizes = {"employees": 4, "projects": 3, "wage_types": 4, **sizes}
    return fake.create_company(f"Nettleser {next(_names)} AS", applications=["GrønnJobb", "Annen app"], **sizes)


def open_settings(page):
    page.get_by_role("navigation").get_by_role("link", name="Selskapsinnstillinger").click()
    expect(page.get_by_role("heading", name="Selskapsinnstillinger")).to_be_visible()
    return page.locator("#tripletex")


def connect_button(page):
    return page.locator("#tripletex").get_by_role("link", name="Koble til Tripletex", exact=True)


def paste_token(page, token: str):
    other_key = page.locator("details.newkey:not([open]) > summary")
    if other_key.count():  # a key is in use already: the form for another one is folded away
        other_key.click()
    page.locator("input[name=token]").fill(token)
    page.get_by_role("button", name="Bruk denne nøkkelen", exact=True).click()


def go_next(page):
    page.get_by_role("link", name="Neste", exact=True).click()


def choose_all(page, expected: str):
    """Wait for the fetched list, press «Velg alle» and see the count the server answers with."""
    expect(page.locator("#item-list")).to_be_visible()
    page.get_by_role("button", name="Velg alle", exact=True).click()
    expect(page.get_by_test_id("selected-count")).to_have_text(re.compile(rf"^\s*{expected}\s*$"))


def ferdigstill(page):
    expect(page.get_by_role("heading", name="Steg 5: Ferdigstill")).to_be_visible()
    page.get_by_role("button", name="Ferdigstill", exact=True).click()
    expect(page.get_by_test_id("tripletex-status")).to_have_text("Aktiv")


def activate_with_services(tenant, user, token: str) -> None:
    """Set-up for the tests that start from an active connection: step 1, choose everything, Ferdigstill.

    Each stands in for a wizard page, which runs in the company's scope."""
    with scope(tenant=tenant):
        draft = services.draft_check_token(tenant=tenant, by=user, token=token)
        assert services.fetches_done(draft), "fetch tasks should have run eagerly"
        for kind in ("project", "wage_type", "employee"):
            services.items_select(draft=draft, kind=kind, selected=True)
        services.draft_finish(tenant=tenant, by=user, draft_id=draft.id, send_hours=services.SEND_ALL)


def nothing_stored(tenant) -> None:
    with scope(tenant=tenant):
        assert not Draft.objects.filter(tenant=tenant, tripletex_company_id__isnull=False).exists()
        assert not Connection.objects.filter(tenant=tenant).exists()
        assert not Item.objects.filter(tenant=tenant).exists()
    assert raw_column("wizard_draft", "employee_token", tenant.id) in ([], [""])


# --- 1 -------------------------------------------------------------------------------------------------------------
def test_admin_connects_from_login_to_aktiv(page, world, fake_tripletex):
    demo = fake_tripletex.demo
    token = demo["employee_tokens"]["GrønnJobb"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "alice@alfa.no")

    card = open_settings(page)
    # Seed 001: the button is at the very bottom of the Generelt tab.
    expect(page.get_by_role("tab", name="Generelt")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("""() => {
        const card = document.getElementById('tripletex');
        return [...document.querySelectorAll('main section, section')].pop() === card;
    }"""), "the Tripletex card is the last section of the Generelt tab"
    expect(card).not_to_contain_text("Aktiv")
    connect_button(page).click()

    # Step 1: numbered instructions, the exact application name with a copy button.
    expect(page.get_by_role("heading", name="Steg 1: API-nøkkel")).to_be_visible()
    expect(page.locator("ol.howto > li")).to_have_count(4)
    expect(page.locator("#appname")).to_have_text("GrønnJobb")
    expect(page.locator("ol.howto")).to_contain_text("nøyaktig slik det står her, inkludert store og små bokstaver")
    page.get_by_role("button", name="Kopier").click()
    expect(page.get_by_role("button", name="Kopiert")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "GrønnJobb"

    paste_token(page, token)
    expect(page.get_by_test_id("tripletex-company")).to_have_text(demo["name"])
    # One way on once the key is accepted; another key is folded away, and its button only ever uses a key.
    expect(page.get_by_role("button", name="Neste")).to_have_count(0)
    expect(page.get_by_role("button", name="Bruk denne nøkkelen", exact=True)).to_have_count(0)
    page.get_by_text("Lim inn en annen API-nøkkel").click()
    expect(page.get_by_role("button", name="Bruk denne nøkkelen", exact=True)).to_have_count(1)
    go_next(page)

    # Demo company: 15 projects, 3 sub-projects, 1 closed, 1 without start date → 10 to choose from.
    expect(page.get_by_role("heading", name="Steg 2: Prosjekter")).to_be_visible()
    expect(page.locator(".fetch")).to_have_count(0)  # the progress is gone once the list is fetched
    expect(page.locator("#item-list")).to_contain_text("Underprosjekt: timer føres på hovedprosjektet")
    choose_all(page, "10 av 15 valgt")
    go_next(page)
    expect(page.get_by_role("heading", name="Steg 3: Lønnsarter")).to_be_visible()
    choose_all(page, r"\d+ av 8 valgt")
    go_next(page)
    expect(page.get_by_role("heading", name="Steg 4: Ansatte")).to_be_visible()
    choose_all(page, r"\d+ av 42 valgt")
    go_next(page)

    expect(page.get_by_role("heading", name="Steg 5: Ferdigstill")).to_be_visible()
    expect(page.get_by_test_id("summary-project").locator("td").first).to_have_text("10")
    expect(page.get_by_test_id("summary-employee")).to_be_visible()
    expect(page.get_by_test_id("summary-wage_type")).to_be_visible()
    # Approved hours that wait go from the first day of this month unless the admin chooses otherwise.
    hours = page.get_by_test_id("hours-waiting")
    expect(hours).to_contain_text("Ingen godkjente timer venter på å bli sendt.")
    expect(hours.get_by_label("Send timer datert fra og med")).to_be_checked()
    expect(hours.locator("input[type=date]")).to_have_value(timezone.localdate().replace(day=1).isoformat())
    # Nothing is active before Ferdigstill.
    with scope(tenant=world.a):
        assert not Connection.objects.filter(tenant=world.a, state=Connection.State.ACTIVE).exists()
    ferdigstill(page)
    expect(page.locator("#tripletex")).to_contain_text(demo["name"])

    with scope(tenant=world.a):
        connection = Connection.objects.get(tenant=world.a)
        assert connection.is_active and connection.tripletex_company_id == demo["id"]
        assert connection.employee_token == token
        stored = raw_column("integrations_connection", "employee_token", world.a.id)
        assert stored and token not in stored[0], "the token is stored encrypted"
        assert Link.objects.filter(tenant=world.a, kind="project", tripletex_company_id=demo["id"]).count() == 10
        assert Project.objects.filter(tenant=world.a).count() == 10
        employees = Employee.objects.filter(tenant=world.a).count()
        assert employees and Link.objects.filter(tenant=world.a, kind="employee").count() == employees
        assert (Link.objects.filter(tenant=world.a, kind="wage_type").count()
                == WageType.objects.filter(tenant=world.a).count())
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_step1_check_answers_within_a_web_workers_timeout():
    """With the real timeouts, a hanging Tripletex still gets the admin an answer before gunicorn's 30 s."""
    limits = services.CHECK_TIMEOUTS
    retry = limits["retry"]
    assert 2 * retry.attempts * (max(limits["read_timeout"], limits["connect_timeout"]) + retry.cap) < 30


# --- 2 -------------------------------------------------------------------------------------------------------------
def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v2"


def _token_for(case: str, fake, settings, monkeypatch) -> str:
    demo_token = fake.demo["employee_tokens"]["GrønnJobb"]
    if case == "empty":
        return ""
    if case == "malformed":
        return "abc def"
    if case == "unknown":
        return "ukjent-nokkel-" + "x" * 30
    if case == "revoked":
        company = new_company(fake, employees=1, projects=0, wage_types=0)
        token = fake.make_token(company["id"], "GrønnJobb")
        fake.revoke_token(token)
        return token
    if case == "other_application":
        return fake.demo["employee_tokens"]["Annen app"]
    if case == "unreachable":
        settings.TRIPLETEX_BASE_URL = _closed_port_url()
        return demo_token
    if case == "slow":
        monkeypatch.setitem(services.CHECK_TIMEOUTS, "read_timeout", 0.5)
        fake.set_faults(hang=20, hang_seconds=2, path_prefix="/token/session")
        return demo_token
    raise ValueError(case)


STEP1_ERRORS = {
    "empty": "Lim inn API-nøkkelen fra Tripletex.",
    "malformed": "Dette ser ikke ut som en API-nøkkel. Kopier hele nøkkelen fra Tripletex, uten mellomrom.",
    "unknown": "Tripletex kjenner ikke igjen denne API-nøkkelen.",
    "revoked": "API-nøkkelen er slettet eller deaktivert i Tripletex.",
    "other_application": "API-nøkkelen er laget for en annen applikasjon. Lag en ny nøkkel i Tripletex med "
                         "applikasjonsnavnet «GrønnJobb», skrevet nøyaktig slik, med store og små bokstaver.",
    "unreachable": "Tripletex svarer ikke akkurat nå. Ingenting er lagret; prøv igjen om litt.",
    "slow": "Tripletex svarer ikke akkurat nå. Ingenting er lagret; prøv igjen om litt.",
}


@pytest.mark.parametrize("case", list(STEP1_ERRORS))
def test_step1_error_is_shown_in_the_form_and_nothing_is_stored(case, page, world, fake_tripletex, settings,
                                                                 monkeypatch):
    log_in(page, "alice@alfa.no")
    open_settings(page)
    connect_button(page).click()
    token = _token_for(case, fake_tripletex, settings, monkeypatch)
    started = time.monotonic()
    paste_token(page, token)

    error = page.locator(".field-error")
    expect(error).to_have_count(1)
    if case == "slow":
        # Two calls (session, whoAmI), each with its retries: the admin gets an answer, not a hung page.
        limits = services.CHECK_TIMEOUTS
        worst = 2 * limits["retry"].attempts * (limits["read_timeout"] + limits["retry"].cap)
        assert time.monotonic() - started < worst + 2
    expect(error).to_contain_text(STEP1_ERRORS[case])
    expect(page.get_by_role("heading", name="Steg 1: API-nøkkel")).to_be_visible()
    expect(page.get_by_test_id("tripletex-company")).to_have_count(0)
    # The token is never rendered back.
    if token:
        assert token not in page.content()
    nothing_stored(world.a)


# --- 3 -------------------------------------------------------------------------------------------------------------
def test_refresh_fetches_a_new_project_and_swaps_the_token(page, world, fake_tripletex):
    company = new_company(fake_tripletex)
    old_token = company["employee_tokens"]["GrønnJobb"]
    activate_with_services(world.a, world.alice, old_token)
    with scope(tenant=world.a):
        linked_before = Link.objects.filter(tenant=world.a, kind="project").count()
    assert linked_before == 3

    manager = fake_tripletex.objects(company["id"], "employee")[0]["id"]
    fake_tripletex.change(company["id"], "project", number="7777", name="Nytt bygg Ås", startDate="2026-01-05",
                          projectManager={"id": manager})
    new_token = fake_tripletex.make_token(company["id"], "GrønnJobb")

    log_in(page, "alice@alfa.no")
    card = open_settings(page)
    expect(card.get_by_test_id("tripletex-status")).to_have_text("Aktiv")
    card.get_by_role("link", name="Oppdater", exact=True).click()
    expect(page.get_by_role("heading", name="Oppdater Tripletex-integrasjonen")).to_be_visible()
    expect(page.get_by_role("button", name="Fortsett med den lagrede nøkkelen")).to_be_visible()
    paste_token(page, new_token)
    expect(page.get_by_test_id("tripletex-company")).to_have_text(company["name"])
    go_next(page)

    expect(page.locator("#item-list")).to_be_visible()
    new_row = page.locator("tr", has_text="Nytt bygg Ås")
    expect(new_row).to_contain_text("Opprettes")
    expect(new_row.get_by_role("checkbox")).not_to_be_checked()
    # Earlier choices are pre-selected.
    expect(page.get_by_test_id("selected-count")).to_contain_text("3 av 4 valgt")
    expect(page.locator("tr", has_text="Uendret").get_by_role("checkbox").first).to_be_checked()
    new_row.get_by_role("checkbox").check()
    expect(page.get_by_test_id("selected-count")).to_contain_text("4 av 4 valgt")
    page.get_by_role("link", name="Ferdigstill").click()
    expect(page.get_by_test_id("summary-project").locator("td").first).to_have_text("1")
    ferdigstill(page)

    with scope(tenant=world.a):
        project = Project.objects.get(tenant=world.a, number="7777")
        assert project.name == "Nytt bygg Ås"
        assert Link.objects.filter(tenant=world.a, kind="project", local_id=project.id).exists()
        connection = Connection.objects.get(tenant=world.a)
        assert connection.is_active and connection.employee_token == new_token
        assert ConnectionEvent.objects.filter(tenant=world.a, action=ConnectionEvent.Action.TOKEN_REPLACED).exists()


# --- 4 -------------------------------------------------------------------------------------------------------------
def test_removal_then_reconnect_reuses_links_and_another_company_is_warned_first(page, world, fake_tripletex):
    company = new_company(fake_tripletex)
    token = company["employee_tokens"]["GrønnJobb"]
    activate_with_services(world.a, world.alice, token)
    with scope(tenant=world.a):
        counts = {m: m.objects.filter(tenant=world.a).count() for m in (Project, Employee, WageType)}
        links = Link.objects.filter(tenant=world.a).count()

    log_in(page, "alice@alfa.no")
    card = open_settings(page)
    card.get_by_role("link", name="Fjern integrasjon").click()
    expect(page.get_by_role("heading", name="Fjern integrasjonen med Tripletex?")).to_be_visible()
    with scope(tenant=world.a):
        assert Connection.objects.get(tenant=world.a).is_active, "nothing is removed before the confirmation"
    page.get_by_role("button", name="Fjern integrasjon").click()
    expect(connect_button(page)).to_be_visible()
    expect(page.locator("#tripletex")).not_to_contain_text("Aktiv")
    with scope(tenant=world.a):
        connection = Connection.objects.get(tenant=world.a)
        assert connection.state == Connection.State.REMOVED and connection.employee_token == ""
        assert raw_column("integrations_connection", "employee_token", world.a.id) == [""]
        assert Link.objects.filter(tenant=world.a).count() == links, "links are kept"

    # Koble til Tripletex again, same Tripletex company: everything is found again through the links.
    connect_button(page).click()
    paste_token(page, token)
    expect(page.get_by_test_id("tripletex-company")).to_have_text(company["name"])
    go_next(page)
    expect(page.locator("#item-list")).to_be_visible()
    expect(page.locator("#item-list tbody")).not_to_contain_text("Opprettes")
    expect(page.locator("#item-list tbody")).to_contain_text("Uendret")
    expect(page.get_by_test_id("selected-count")).to_contain_text("3 av 3 valgt")
    page.get_by_role("link", name="Ferdigstill").click()
    for kind in ("project", "wage_type", "employee"):
        expect(page.get_by_test_id(f"summary-{kind}").locator("td").first).to_have_text("0")
    ferdigstill(page)
    with scope(tenant=world.a):
        assert {m: m.objects.filter(tenant=world.a).count() for m in counts} == counts, "no duplicates"
        assert Link.objects.filter(tenant=world.a).count() == links

    # A token for a different Tripletex company: a warning before anything is mixed.
    other = new_company(fake_tripletex)
    page.locator("#tripletex").get_by_role("link", name="Oppdater", exact=True).click()
    paste_token(page, other["employee_tokens"]["GrønnJobb"])
    warning = page.locator(".warnbox")
    expect(warning).to_contain_text(f"hører til Tripletex-selskapet «{other['name']}»")
    expect(warning).to_contain_text(company["name"])
    expect(page.get_by_test_id("tripletex-company")).to_have_count(0)
    with scope(tenant=world.a):
        assert not Draft.objects.filter(tenant=world.a, tripletex_company_id=other["id"]).exists()
        assert not Item.objects.filter(tenant=world.a).exists()
        assert not Link.objects.filter(tenant=world.a, tripletex_company_id=other["id"]).exists()
        connection = Connection.objects.get(tenant=world.a)
        assert connection.tripletex_company_id == company["id"] and connection.employee_token == token

    # Confirming goes on to the other company; the old one's links are left alone.
    warning.get_by_role("checkbox").check()
    paste_token(page, other["employee_tokens"]["GrønnJobb"])
    expect(page.get_by_test_id("tripletex-company")).to_have_text(other["name"])
    with scope(tenant=world.a):
        assert Link.objects.filter(tenant=world.a, tripletex_company_id=company["id"]).count() == links


# --- 5 -------------------------------------------------------------------------------------------------------------
def test_employee_is_refused_the_wizard_and_sees_no_button(page, world, fake_tripletex):
    log_in(page, "carol@alfa.no")
    expect(page.get_by_role("navigation").get_by_role("link", name="Selskapsinnstillinger")).to_have_count(0)
    expect(page.get_by_role("link", name="Koble til Tripletex")).to_have_count(0)
    for url in ("/selskapsinnstillinger/", "/tripletex/aktivering/", "/tripletex/aktivering/api-nokkel/",
                "/tripletex/aktivering/prosjekter/", "/tripletex/aktivering/ferdigstill/", "/tripletex/fjern/",
                "/tripletex/historikk/"):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.get_by_role("link", name="Koble til Tripletex")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for url in ("/tripletex/aktivering/api-nokkel/", "/tripletex/aktivering/avbryt/", "/tripletex/fjern/"):
        response = page.request.post(url, form={"token": fake_tripletex.demo["employee_tokens"]["GrønnJobb"]},
                                     headers={"X-CSRFToken": csrf, "Referer": page.url})
        assert response.status == 403, url
    with scope(tenant=world.a):
        assert not Draft.objects.filter(tenant=world.a).exists()
        assert not Connection.objects.filter(tenant=world.a).exists()


# --- the fetch runs in the background: progress first, then the list without a manual reload ------------------------
def test_fetch_progress_is_shown_until_the_list_arrives_without_reload(page, world, fake_tripletex, monkeypatch):
    """Tasks are held back like a busy worker would; the page's clock is paused so polls happen only when told."""
    from wizard import tasks

    queued = []
    monkeypatch.setattr(tasks.wizard_fetch, "delay", lambda **kwargs: queued.append(kwargs))
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "poll=1" in r.url else None)
    page.clock.install(time=dt.datetime(2026, 11, 24, 8, 0))
    page.clock.pause_at(dt.datetime(2026, 11, 24, 8, 0, 1))

    company = new_company(fake_tripletex)
    log_in(page, "alice@alfa.no")
    open_settings(page)
    connect_button(page).click()
    paste_token(page, company["employee_tokens"]["GrønnJobb"])
    go_next(page)
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.locator(".fetch")).to_contain_text("Henter prosjekter fra Tripletex")
    expect(page.locator("#item-list")).to_have_count(0)
    assert len(queued) == 3

    page.clock.run_for(800)  # one poll while the fetch is still running: the bar stays
    expect(page.get_by_role("progressbar")).to_be_visible()
    assert len(polls) == 1

    for kwargs in queued:
        tasks.wizard_fetch.apply(kwargs=kwargs)
    page.clock.run_for(800)  # the next poll finds the fetch done and brings the list
    expect(page.locator("#item-list")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_test_id("selected-count")).to_contain_text("0 av 3 valgt")
