"""What a company's API key lets its Tripletex user do: the rights this product needs, each checked with one
harmless read (a GET of one id, never a write), and the right a refusal of Tripletex's (403) belongs to.

A key carries its employee's rights in Tripletex. A read that works shows the user has the function; whether
the user may also write there, Tripletex says only at the first write, so a 403 then is recorded against
the same right (`integrations.services.connection_right_refused`) and shown where the check is shown.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .tripletex import Forbidden, TripletexClient, TripletexError, Unauthorized
from .tripletex.errors import describe

OK, MISSING, UNKNOWN = "ok", "missing", "unknown"
# How a right's state was found: by step 1's reads, or from Tripletex refusing a write.
CHECKED, REFUSED = "check", "refusal"


def _no_params(today: dt.date) -> dict:
    return {}


def _one_day(today: dt.date) -> dict:
    # Both dates are required on the timesheet lists; one day keeps the read as small as a read can be.
    return {"dateFrom": today.isoformat(), "dateTo": (today + dt.timedelta(days=1)).isoformat()}


@dataclass(frozen=True)
class Right:
    key: str
    label: Any
    # The read that checks it, and the paths whose refusals belong to it.
    path: str
    paths: tuple[str, ...]
    # Where the admin gives it in Tripletex, and what does not work here until then (the admin's words).
    grant: Any
    without: Any
    # The read shows access to the function; writing it is confirmed only by the first write.
    writes: bool = False
    params: Callable[[dt.date], dict] = _no_params


RIGHTS: tuple[Right, ...] = (
    Right("projects", _("Se prosjekter"), "/project", ("/project",),
          _("Prosjekt: tilgang til prosjektene."),
          _("Prosjektene kan ikke hentes i veiviseren, og timer kan ikke knyttes til prosjekter i Tripletex.")),
    Right("employees", _("Se ansatte"), "/employee", ("/employee",),
          _("Ansatte: tilgang til ansattregisteret."),
          _("De ansatte kan ikke hentes, og timene kan ikke knyttes til riktig ansatt i Tripletex.")),
    Right("wage_types", _("Se lønnsarter"), "/salary/type", ("/salary",),
          _("Lønn: tilgang til lønnsartene."),
          _("Lønnsartene kan ikke hentes; timer sendes uten antall per lønnsart.")),
    Right("timesheet", _("Føre timer for alle ansatte"), "/timesheet/entry", ("/timesheet/entry", "/timesheet/month"),
          _("Timeliste: føre og endre timer for alle ansatte."),
          _("Godkjente timer sendes ikke til Tripletex; de venter her til tilgangen er gitt."),
          writes=True, params=_one_day),
    Right("wage_counts", _("Føre timer per lønnsart"), "/timesheet/salaryTypeSpecification",
          ("/timesheet/salaryTypeSpecification",),
          _("Lønn og timeliste: registrere timer per lønnsart."),
          _("Timene sendes, men ikke antallet per lønnsart."),
          writes=True, params=_one_day),
    Right("activities", _("Se og opprette aktiviteter"), "/activity", ("/activity",),
          _("Prosjekt: tilgang til aktiviteter, også å opprette nye."),
          _("Aktiviteter som ikke finnes i Tripletex, kan ikke opprettes der; timer på dem holdes tilbake."),
          writes=True),
)
BY_KEY = {r.key: r for r in RIGHTS}


def right_for_path(path: str | None) -> Right | None:
    """The right a call to `path` needs (the longest matching prefix wins), or None."""
    best = None
    for right in RIGHTS:
        for prefix in right.paths:
            if path and (path == prefix or path.startswith(prefix + "/")) and (
                best is None or len(prefix) > len(best[0])
            ):
                best = (prefix, right)
    return best[1] if best else None


def rights_check(client: TripletexClient, *, today: dt.date, at: dt.datetime) -> dict[str, dict]:
    """One GET of one id per right. A 403 is a right missing; anything else but an answer leaves it unknown.

    Costs `len(RIGHTS)` calls (six) on a client that has its session. A refused key (401) raises: that is
    not a right missing but a key that does not work.
    """
    found: dict[str, dict] = {}
    for right in RIGHTS:
        try:
            client.list_page(right.path, params=right.params(today), fields="id", count=1)
        except Unauthorized:
            raise
        except Forbidden as exc:
            found[right.key] = result(MISSING, at=at, exc=exc)
        except TripletexError as exc:
            found[right.key] = result(UNKNOWN, at=at, exc=exc)
        else:
            found[right.key] = result(OK, at=at)
    return found


def result(state: str, *, at: dt.datetime, exc: TripletexError | None = None, learnt: str = CHECKED) -> dict:
    return {"state": state, "at": at.isoformat(), "learnt": learnt, "message": describe(exc) if exc else "",
            "request_id": (exc.request_id or "") if exc else ""}
