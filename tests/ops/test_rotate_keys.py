"""`manage.py rotate_encryption_keys`: every stored secret re-encrypted under the first key, on the real database."""
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django_scopes import scope, scopes_disabled

from integrations.models import Connection
from tests.factories import TenantFactory
from wizard.models import Draft

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def raw(table: str, column: str) -> dict[int, str]:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608  (names from this test)
        return dict(cursor.fetchall())


def stored() -> dict[tuple, str]:
    """Every secret column's ciphertext, as it is in the database."""
    values = {}
    for table, column in (("integrations_connection", "employee_token"), ("integrations_connection", "webhook_secret"),
                          ("wizard_draft", "employee_token")):
        values.update({(table, column, pk): value for pk, value in raw(table, column).items()})
    return values


def rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def secrets_under_old_key(world, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    Connection.objects.create(tenant=world.a, employee_token="alfa-token-1", webhook_secret="alfa-webhook-1")
    Connection.objects.create(tenant=world.b, employee_token="beta-token-2")  # no webhook secret: stays empty
    Draft.objects.create(tenant=world.a, employee_token="alfa-draft-token-3")
    return {"alfa-token-1", "alfa-webhook-1", "beta-token-2", "alfa-draft-token-3"}


def plain_values() -> set[str]:
    """Every company's secrets, as the app reads them."""
    with scopes_disabled():
        connections = list(Connection.objects.all())
        drafts = list(Draft.objects.all())
    return ({c.employee_token for c in connections} | {c.webhook_secret for c in connections if c.webhook_secret}
            | {d.employee_token for d in drafts})


def test_every_stored_secret_is_re_encrypted_under_the_new_key_and_reads_the_same(world, secrets_under_old_key,
                                                                                 settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    before = stored()
    output = rotate()
    assert "Kryptert på nytt: 4. Allerede under første nøkkel: 0." in output
    after = stored()
    with scope(tenant=world.b):
        without_webhook = Connection.objects.get(webhook_secret="")
    assert after[("integrations_connection", "webhook_secret", without_webhook.id)] == ""  # nothing made up
    changed = {k for k in after if after[k] != before[k]}
    assert len(changed) == 4
    for key in changed:
        assert Fernet(NEW).decrypt(after[key].encode())  # the new key alone opens it
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key can go now
    assert plain_values() == secrets_under_old_key
    for secret in secrets_under_old_key:
        assert secret not in output


def test_a_second_run_finds_everything_current_and_writes_nothing(secrets_under_old_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    rotate()
    before = stored()
    assert "Kryptert på nytt: 0. Allerede under første nøkkel: 4." in rotate()
    assert stored() == before


def test_a_dry_run_counts_and_changes_nothing(secrets_under_old_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    before = stored()
    assert "Ville krypteres på nytt: 4." in rotate("--dry-run")
    assert stored() == before


def test_a_secret_no_key_opens_is_named_not_shown_and_the_others_are_still_rotated(secrets_under_old_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [LOST]
    lost = Connection.objects.create(tenant=TenantFactory(name="Gamma AS"), employee_token="lost-token-4")
    lost_cipher = raw("integrations_connection", "employee_token")[lost.id]
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    with pytest.raises(CommandError) as refused:
        rotate()
    message = str(refused.value)
    assert f"integrations.Connection {lost.id} (employee_token)" in message and "lost-token-4" not in message
    assert raw("integrations_connection", "employee_token")[lost.id] == lost_cipher  # left as it was
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    with scopes_disabled():
        others = list(Connection.objects.exclude(id=lost.id))
    assert {c.employee_token for c in others} == {"alfa-token-1", "beta-token-2"}


def test_a_secret_saved_while_the_rotation_runs_is_kept(secrets_under_old_key, settings, monkeypatch):
    """The rotation writes a value back only if it is still the one it read."""
    from integrations import crypto

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    with scopes_disabled():  # the one company with a webhook secret, whichever it is
        connection = Connection.objects.exclude(webhook_secret="").get()
    real_rotate = crypto.MultiFernet.rotate

    def admin_saves_a_new_key_meanwhile(self, token):
        with scope(tenant=connection.tenant_id):  # as the admin's page does
            Connection.objects.filter(id=connection.id).update(employee_token="replaced-meanwhile-5")
        return real_rotate(self, token)

    monkeypatch.setattr(crypto.MultiFernet, "rotate", admin_saves_a_new_key_meanwhile)
    rotate()
    connection.refresh_from_db()
    assert connection.employee_token == "replaced-meanwhile-5"
