"""Two-way sync of projects, customers and employees (seed 000, Svenn): the rules, and the connector.

- `rules`: the seed's rules in the admin's words, and the field mapping between our rows and Tripletex's.
- `outbound`: a local change of a project, customer or employee → Tripletex.
- `inbound`: a Tripletex change (webhook or reconcile) → here.
"""
from django.utils.translation import gettext_lazy as _

from ...models import Link
from ..base import Connector
from ..registry import register
from . import inbound, outbound
from .rules import RULES

CONNECTOR = register(Connector(
    name="master_data",
    title=_("Prosjekter, kunder og ansatte (toveis)"),
    description=_(
        "Holder prosjekter, kunder og ansatte like her og i Tripletex: endringer på den ene siden "
        "kommer over til den andre av seg selv."
    ),
    rules=RULES,
    kinds=(Link.Kind.PROJECT, Link.Kind.CUSTOMER, Link.Kind.EMPLOYEE),
    events=(
        "project.create", "project.update", "project.delete",
        "customer.create", "customer.update", "customer.delete",
        "employee.create", "employee.update", "employee.delete",
    ),
    handle_local_change=outbound.handle_local_change,
    handle_remote_change=inbound.handle_remote_change,
    reconcile=inbound.reconcile,
))
