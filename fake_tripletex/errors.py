"""Tripletex's error envelope (schema ApiError) as an exception the handlers raise."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, *, developer: str | None = None,
                 validation: list[tuple[str, str]] | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.developer = developer or message
        self.validation = validation or []
        self.headers = headers or {}

    def body(self, request_id: str) -> dict:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "link": "https://tripletex.no/v2-docs/",
            "developerMessage": self.developer,
            "validationMessages": [{"field": f, "message": m} for f, m in self.validation],
            "requestId": request_id,
        }


def bad_request(message: str) -> ApiError:
    return ApiError(400, 4000, message)


def not_found(what: str = "Object") -> ApiError:
    return ApiError(404, 6000, f"{what} not found.")


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, 3000, message)


def forbidden(message: str, developer: str | None = None) -> ApiError:
    return ApiError(403, 9000, message, developer=developer)


def revision_conflict(kind: str, obj_id: int) -> ApiError:
    return ApiError(409, 8000, "Revision conflict: the object has been changed by someone else.",
                    developer=f"Stale version for {kind} {obj_id}")


def validation(field: str, message: str, *, code: int = 15000) -> ApiError:
    return ApiError(422, code, f"Validering feilet. {field}: {message}", validation=[(field, message)])


def required(*fields: str) -> ApiError:
    return ApiError(422, 15000, "Validering feilet.",
                    validation=[(f, "Kan ikke være null.") for f in fields])
