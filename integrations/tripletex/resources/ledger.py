"""Vouchers (bilag) with their PDF, and the chart of accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..paging import Progress
from .base import Fields, ResourceBase


class LedgerMixin(ResourceBase):
    def voucher_list(
        self,
        *,
        date_from: dt.date,
        date_to: dt.date,
        number: str | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {"dateFrom": date_from, "dateTo": date_to, "number": number, **(params or {})}
        return self.list_all("/ledger/voucher", params=query, fields=fields, sorting=sorting, progress=progress)

    def voucher_get(self, voucher_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/ledger/voucher/{voucher_id}", fields=fields)

    def voucher_create(self, voucher: Mapping[str, Any], *, send_to_ledger: bool = True) -> dict:
        """Postings must balance. Set `externalVoucherNumber`: it is the key to look the voucher up when in doubt."""
        return self.write("POST", "/ledger/voucher", voucher, params={"sendToLedger": send_to_ledger}, retry_safe=False)

    def voucher_reverse(self, voucher_id: int, *, date) -> dict:
        """`PUT /ledger/voucher/{id}/:reverse`: Tripletex's reversing voucher, linked to the original through
        `reverseVoucher`; returns it. Not repeatable: in doubt, read the original's `reverseVoucher`."""
        return self.write("PUT", f"/ledger/voucher/{voucher_id}/:reverse", params={"date": date}, retry_safe=False)

    def voucher_attach(
        self, voucher_id: int, content: bytes, *, filename: str, content_type: str = "application/pdf"
    ) -> dict:
        """Attach a document (the invoice PDF) to a voucher as multipart `file`; returns the voucher."""
        return self.upload(
            f"/ledger/voucher/{voucher_id}/attachment", files={"file": (filename, content, content_type)}
        )

    def vat_type_list(
        self, *, number: str | None = None, fields: Fields = None, progress: Progress | None = None
    ) -> list[dict]:
        """VAT types (`GET /ledger/vatType`); `number` is Tripletex's code, e.g. "3" for outgoing 25 %."""
        return self.list_all("/ledger/vatType", params={"number": number}, fields=fields, progress=progress)

    def ledger_account_list(
        self,
        *,
        numbers: list[int | str] | None = None,
        is_inactive: bool | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {"number": numbers, "isInactive": is_inactive, **(params or {})}
        return self.list_all("/ledger/account", params=query, fields=fields, sorting=sorting, progress=progress)
