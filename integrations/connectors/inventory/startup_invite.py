"""Employees copied by the start-up sync are invited to log in (seed 003: "En invitasjon blir sendt …").

An employee with an e-mail gets a login here (a user without a usable password) and the employee role in the
company; the invitation e-mail carries a link to choose a password, made with Django's password-reset
tokens, so it works once and stops working when the password is set. Someone who already has a login (in
another company) is given the role and told by e-mail; someone already in the company gets nothing.
"""
from __future__ import annotations

import dataclasses
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from hr.models import Employee
from tenants.models import Membership, Tenant, User
from tenants.services import membership_grant

logger = logging.getLogger("integrations.connectors")


@dataclasses.dataclass
class Invitation:
    user_id: int
    employee_id: int
    tenant_name: str
    label: str
    error: str = ""


def employee_user_ensure(*, tenant: Tenant, employee: Employee) -> tuple[Invitation | None, str]:
    """Give the employee a login in the company, in the transaction that saved them; (invitation to send, note)."""
    if not employee.email:
        return None, _("Ingen e-post i Tripletex, så ingen invitasjon er sendt.")
    user = employee.user or User.objects.filter(email__iexact=employee.email).first()
    if user is None:
        user = User.objects.create_user(email=employee.email, password=None, first_name=employee.first_name,
                                        last_name=employee.last_name)
    elif Employee.objects.filter(tenant=tenant, user=user).exclude(id=employee.id).exists():
        return None, _("Påloggingen med denne e-posten hører til en annen ansatt her: ingen invitasjon sendt.")
    if employee.user_id != user.id:
        employee.user = user
        employee.save(update_fields=["user", "updated_at"])
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        return None, ""
    membership_grant(tenant=tenant, user=user, role=Membership.Role.EMPLOYEE)
    label = str(employee)
    return Invitation(user_id=user.id, employee_id=employee.id, tenant_name=tenant.name, label=label), _(
        "Invitasjon sendt til %(email)s.") % {"email": employee.email}


def invite_url(user: User) -> str:
    query = urlencode({"u": urlsafe_base64_encode(force_bytes(user.pk)), "t": default_token_generator.make_token(user)})
    return f"{settings.SITE_URL.rstrip('/')}{reverse('integrations:inventory_invite')}?{query}"


def invitations_send(invitations: list[Invitation]) -> list[Invitation]:
    """Send each invitation through Django's e-mail backend; the ones that could not be sent, with why."""
    failed = []
    users = User.objects.in_bulk([i.user_id for i in invitations])
    for invitation in invitations:
        user = users[invitation.user_id]
        context = {
            "user": user, "company": invitation.tenant_name, "has_password": user.has_usable_password(),
            "url": invite_url(user) if not user.has_usable_password()
            else f"{settings.SITE_URL.rstrip('/')}{reverse('login')}",
        }
        subject = _("Invitasjon fra %(company)s til GrønnJobb") % {"company": invitation.tenant_name}
        try:
            send_mail(subject, render_to_string("integrations/inventory_invite_email.txt", context),
                      None, [user.email])
        except Exception as exc:  # noqa: BLE001 - any failure of the mail server is the employee's row, not the run
            logger.warning("invitation to user %s not sent: %s", user.pk, exc)
            invitation.error = str(exc)[:300] or exc.__class__.__name__
            failed.append(invitation)
    return failed
