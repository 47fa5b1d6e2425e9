"""Every form on every page, filled by a generator: never a 500, and a refused form changes nothing.

The forms are read from the pages' HTML (as a browser sees them), so a new form is fuzzed without a test
of its own. Each field gets the page's own values or odd ones (see strategies.py): digits that are not
ASCII, ids past the database's range, weeks and dates at the ends of the calendar, NUL, markup, very long
text. A POST the app takes answers with a redirect, or with 201 on a page that shows once what it made (a new
API key); anything else (a form error, a 400) leaves the database as it was: every app's tables, the shop's
and the API's included.
"""
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_isolation import all_routes, fill

from .db import everything
from .forms_on_pages import Form, forms_on
from .strategies import id_like, text_like, week_like
from .test_escaping import STEPS, hostile  # noqa: F401

pytestmark = pytest.mark.django_db

dates_like = st.one_of(st.dates().map(str), st.text(max_size=12), st.just("0001-01-01"), st.just("9999-12-31"))
EXAMPLES_PER_FORM = 10


def value_for(field) -> st.SearchStrategy:
    offered = st.sampled_from(field.values) if field.values else st.just("")
    odd = {"date": dates_like, "week": week_like, "number": id_like, "checkbox": id_like, "hidden": id_like,
           "select": st.one_of(id_like, text_like)}.get(field.kind, text_like)
    return st.one_of(offered, odd)


def values_for(field) -> st.SearchStrategy:
    if field.kind == "checkbox" and len(field.values) > 1:
        return st.lists(value_for(field), max_size=3)
    return value_for(field).map(lambda v: [v])


def every_form(client, extra_urls=()) -> list[Form]:
    found = {}
    urls = []
    for route in all_routes():
        if route.startswith("webhooks/"):
            continue
        urls += [f"/tripletex/aktivering/{s}/" for s in STEPS] if "<slug:step>" in route else [fill(route, OBJS)]
    for url in [*urls, *extra_urls]:
        response = client.get(url, follow=True)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue  # a PDF or JSON answer has no forms
        page = response.redirect_chain[-1][0] if response.redirect_chain else url
        for form in forms_on(page, response.content.decode(errors="replace")):
            if form.action.startswith(("/admin/", "/logg-ut/", "/i18n/")):
                continue  # Django's own, and leaving the session
            found.setdefault(form.key, form)
    return list(found.values())


OBJS: dict = {}


@pytest.fixture
def alice(world, hostile, settings):
    # Tripletex is never reached: a key of the right shape meets a closed port and gets "try again later".
    settings.TRIPLETEX_BASE_URL = "http://127.0.0.1:9/v2"
    settings.TRIPLETEX_CONSUMER_TOKEN = "consumer-token-for-tests"
    OBJS.clear()
    OBJS.update(hostile)
    client = world.client_for(world.alice, world.a)
    client.raise_request_exception = False
    return client


@pytest.fixture
def carol(world, alice):
    client = world.client_for(world.carol, world.a)
    client.raise_request_exception = False
    return client


def test_every_form_survives_generated_input_and_a_refused_one_changes_nothing(alice, carol):
    # As the admin, every page; as an employee, the timesheet (the admin keeps no hours of her own).
    forms = [(alice, form) for form in every_form(alice, extra_urls=["/godkjenning/?status="])]
    forms += [(carol, form) for form in forms_on("/timeliste/", carol.get("/timeliste/?uke=2026-W47").content.decode())]
    anonymous = Client(raise_request_exception=False)
    forms += [(anonymous, form) for form in forms_on("/logg-inn/", anonymous.get("/logg-inn/").content.decode())]
    assert len(forms) > 30, [f.action for _client, f in forms]  # the crawl found the forms
    assert {"entries", "rows", "item", "token", "draft"} <= {name for _c, f in forms for name in f.fields}

    for client, form in forms:
        @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.fixed_dictionaries({name: values_for(f) for name, f in form.fields.items()}))
        def fill_in(data):
            payload = {name: values for name, values in data.items()}
            before = everything()
            if form.method == "post":
                response = client.post(form.action, payload)
            else:
                response = client.get(form.action, payload)
            where = f"{form.method.upper()} {form.action} {payload!r:.300}"
            assert response.status_code < 500, where
            if form.method == "post" and response.status_code not in (201, 301, 302, 303):
                assert everything() == before, f"{where} answered {response.status_code} but changed data"

        fill_in()
