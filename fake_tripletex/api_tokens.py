"""Session tokens: ``PUT /token/session/:create`` and ``GET /token/session/>whoAmI``.

Each refusal has its own message and developerMessage, so a client (and a human
reading logs) can tell "token made for another application" from "unknown token",
"revoked token" and "wrong consumer token".
"""
from __future__ import annotations

from datetime import date

from . import errors
from .render import Renderer, parse_fields
from .routing import Request, Response
from .store import Session, new_token


def create_session(req: Request) -> Response:
    store = req.app.store
    consumer = req.params.get("consumerToken", "")
    employee = req.params.get("employeeToken", "")
    exp_raw = req.params.get("expirationDate", "")
    missing = [n for n, v in (("consumerToken", consumer), ("employeeToken", employee),
                              ("expirationDate", exp_raw)) if not v]
    if missing:
        raise errors.required(*missing)
    try:
        expiration = date.fromisoformat(exp_raw)
    except ValueError:
        raise errors.validation("expirationDate", "Ugyldig dato, bruk formatet YYYY-MM-DD.")
    with store.lock:
        application = store.consumer_tokens.get(consumer)
        if application is None:
            raise errors.forbidden("Invalid consumer token.", "CONSUMER_TOKEN_UNKNOWN")
        tok = store.employee_tokens.get(employee)
        if tok is None:
            raise errors.forbidden("Invalid employee token.", "EMPLOYEE_TOKEN_UNKNOWN")
        if tok.revoked:
            raise errors.forbidden("Invalid employee token: the token has been revoked.", "EMPLOYEE_TOKEN_REVOKED")
        if tok.application != application:
            raise errors.ApiError(
                422, 15000, "Validation failed: application could not be found.",
                developer="EMPLOYEE_TOKEN_APPLICATION_MISMATCH: the employee token was made for another "
                          "application name than the consumer token's application",
                validation=[("employeeToken", "application could not be found")])
        if expiration < store.clock.oslo_today():
            raise errors.validation("expirationDate", "Utløpsdato kan ikke være tilbake i tid.")
        company = store.company(tok.company_id)
        session = Session(token=new_token(), company_id=company.id,
                          employee_id=tok.employee_id, consumer_token=consumer, employee_token=employee,
                          expiration_date=expiration, id=store.new_id())
        store.sessions[session.token] = session
        consumer_id = list(store.consumer_tokens).index(consumer) + 1
        obj = {"id": session.id, "version": 0, "consumerToken": {"id": consumer_id},
               "employeeToken": {"id": tok.id}, "expirationDate": expiration.isoformat(),
               "token": session.token}
        r = Renderer(req.app.spec, company, req.app.base_url)
        return Response(200, {"value": r.render(obj, "SessionToken", parse_fields(req.params.get("fields")))})


def who_am_i(req: Request) -> Response:
    s = req.session
    obj = {"employeeId": s.employee_id, "actualEmployeeId": s.employee_id, "employee": {"id": s.employee_id},
           "companyId": s.company_id, "company": {"id": s.company_id}, "language": "no",
           "loggedInWithConnect": False, "employeeIsProxy": False}
    tree = parse_fields(req.params.get("fields"))
    return Response(200, {"value": req.renderer().render(obj, "LoggedInUserInfo", tree)})


def register(router) -> None:
    router.add("PUT", "/token/session/:create", create_session, auth=False)
    router.add("GET", "/token/session/>whoAmI", who_am_i)
