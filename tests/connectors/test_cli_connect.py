"""`manage.py tripletex_connect`: the activation wizard from the command line, against the fake Tripletex."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scope

from hr.models import Employee, Project, WageType
from integrations.models import Connection, ConnectionEvent, Link, SyncRecord
from wizard.models import Draft

from .sample_connectors import tripletex, tripletex_company  # noqa: F401

# The fetches run when step 1's transaction commits, as they do from a shell.
pytestmark = pytest.mark.django_db(transaction=True)


def connect(tenant, token, *args) -> str:
    out = StringIO()
    # `--token=` keeps a key that starts with "-" (the fake makes some) from being read as an option.
    call_command("tripletex_connect", "--tenant", tenant.slug, f"--token={token}", *args, stdout=out)
    return out.getvalue()


def key(company) -> str:
    return company["employee_tokens"]["GrønnJobb"]


def test_connect_with_all_takes_every_row_no_rule_skips_and_activates(world, tripletex_company):
    output = connect(world.a, key(tripletex_company), "--all")
    with scope(tenant=world.a):
        connection = Connection.objects.get(tenant=world.a)
        assert connection.is_active and connection.tripletex_company_id == tripletex_company["id"]
        assert tripletex_company["name"] in output
        taken = SyncRecord.objects.filter(tenant=world.a).exclude(action="skipped")
        skipped = SyncRecord.objects.filter(tenant=world.a, action="skipped")
        assert not skipped.filter(rule="Ikke valgt").exists()
        assert Link.objects.filter(tenant=world.a).count() == taken.count() > 0
        for kind, model, name in (("project", Project, "prosjekter"), ("wage_type", WageType, "lønnsarter"),
                                  ("employee", Employee, "ansatte")):
            created = taken.filter(object_kind=kind, action="created").count()
            assert model.objects.filter(tenant=world.a).count() == created
            line = next(line for line in output.splitlines() if line.startswith(f"{name}:"))
            assert f"{created} opprettet" in line
            assert f"{skipped.filter(object_kind=kind).count()} hoppet over" in line
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_connect_with_none_activates_and_takes_nothing(world, tripletex_company):
    connect(world.a, key(tripletex_company), "--none")
    with scope(tenant=world.a):
        assert Connection.objects.get(tenant=world.a).is_active
        assert not Link.objects.filter(tenant=world.a).exists()
        assert not Project.objects.filter(tenant=world.a).exists()
        assert not Employee.objects.filter(tenant=world.a).exists()
        assert ConnectionEvent.objects.get(tenant=world.a).action == ConnectionEvent.Action.CONNECTED


def test_connect_with_a_key_for_another_application_fails_and_stores_nothing(world, tripletex, tripletex_company):
    other_key = tripletex.make_token(tripletex_company["id"], "Annen app")
    with pytest.raises(CommandError) as exc:
        connect(world.a, other_key, "--all")
    assert "«GrønnJobb»" in str(exc.value) and exc.value.returncode == 1
    with scope(tenant=world.a):
        assert not Connection.objects.filter(tenant=world.a).exists()
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_connect_with_an_unknown_key_fails_with_a_clear_message(world, tripletex):
    with pytest.raises(CommandError) as exc:
        connect(world.a, "x" * 32)
    assert "API-nøkkel" in str(exc.value)
    with scope(tenant=world.a):
        assert not Connection.objects.filter(tenant=world.a).exists()


def test_connect_when_a_fetch_fails_says_so_and_leaves_no_key_behind(world, tripletex, tripletex_company):
    tripletex.set_faults(company_id=tripletex_company["id"], path_prefix="/employee", error_rate=1.0, error_status=403)
    with pytest.raises(CommandError) as exc:
        connect(world.a, key(tripletex_company), "--all")
    assert "ansatte" in str(exc.value)
    with scope(tenant=world.a):
        assert not Draft.objects.filter(tenant=world.a).exists()
        assert not Connection.objects.filter(tenant=world.a).exists()


def test_connect_to_an_unknown_company_exits_2(world):
    with pytest.raises(CommandError) as exc:
        connect(world.a.__class__(slug="finnes-ikke"), "x" * 32)
    assert exc.value.returncode == 2


def test_all_and_none_cannot_be_given_together(world):
    with pytest.raises(CommandError):
        connect(world.a, "x" * 32, "--all", "--none")
