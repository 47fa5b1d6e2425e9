"""`manage.py connectors --tenant <slug> list | enable | disable | run`: the Integrasjoner page's services."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scope

from integrations.models import Connection, ConnectorConfig, SyncRun

from .sample_connectors import connected, failing, sample, switch_on, tripletex, tripletex_company  # noqa: F401

# The command runs its sync where it is called and commits as it goes, as it does from a shell.
pytestmark = pytest.mark.django_db(transaction=True)


def connectors(tenant, *args) -> str:
    out = StringIO()
    call_command("connectors", "--tenant", tenant.slug, *args, stdout=out)
    return out.getvalue()


def test_list_shows_every_connector_on_or_off(world, sample, connected):
    switch_on(world.a, "sample")
    lines = {line.split("\t")[0]: line.split("\t") for line in connectors(world.a, "list").splitlines()}
    assert lines["sample"][1:3] == ["slått på", "Testkobling"]
    assert lines["master_data"][1] == "slått av"


def test_enable_switches_on_and_runs_the_first_sync_and_disable_switches_off(world, sample, connected):
    assert "er slått på" in connectors(world.a, "enable", "sample")
    with scope(tenant=world.a):
        assert ConnectorConfig.objects.get(tenant=world.a, name="sample").enabled
        assert SyncRun.objects.get(tenant=world.a, connector="sample").status == SyncRun.Status.SUCCEEDED
    assert "er slått av" in connectors(world.a, "disable", "sample")
    with scope(tenant=world.a):
        assert not ConnectorConfig.objects.get(tenant=world.a, name="sample").enabled


def test_run_synchronises_in_the_foreground_and_prints_one_json_line(world, sample, connected):
    switch_on(world.a, "sample")
    output = connectors(world.a, "run", "sample")
    assert len(output.splitlines()) == 1
    line = json.loads(output)
    with scope(tenant=world.a):
        run = SyncRun.objects.get(tenant=world.a, connector="sample")
    assert line == {"connector": "sample", "run": run.id, "status": "succeeded", "counts": {"created": 2, "skipped": 1}}
    assert run.trigger == SyncRun.Trigger.MANUAL


def test_a_failed_run_prints_its_json_with_tripletexs_message_and_exits_non_zero(world, failing, connected):
    switch_on(world.a, "failing")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("connectors", "--tenant", world.a.slug, "run", "failing", stdout=out)
    line = json.loads(out.getvalue())
    assert line["status"] == "failed" and line["message"]
    assert exc.value.returncode == 1


def test_unknown_company_exits_2_with_a_clear_message(world):
    with pytest.raises(CommandError) as exc:
        call_command("connectors", "--tenant", "finnes-ikke", "list")
    assert exc.value.returncode == 2 and "finnes-ikke" in str(exc.value)


@pytest.mark.parametrize("action", ["enable", "disable", "run"])
def test_unknown_connector_exits_2_and_names_the_known_ones(world, sample, connected, action):
    with pytest.raises(CommandError) as exc:
        connectors(world.a, action, "finnes_ikke")
    assert exc.value.returncode == 2 and "finnes_ikke" in str(exc.value) and "sample" in str(exc.value)


def test_enable_without_an_active_connection_is_refused(world, sample):
    Connection.objects.create(tenant=world.a, state=Connection.State.REMOVED)
    with pytest.raises(CommandError) as exc:
        connectors(world.a, "enable", "sample")
    assert "ikke koblet til" in str(exc.value)
    with scope(tenant=world.a):
        assert not ConnectorConfig.objects.filter(tenant=world.a, enabled=True).exists()
