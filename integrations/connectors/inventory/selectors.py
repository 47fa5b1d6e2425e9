"""What the commerce pages show of the inventory connector's work on a record (reads only)."""
from __future__ import annotations

from dataclasses import dataclass

from commerce.models import Invoice
from tenants.models import Tenant

from ...models import Connection, ConnectorConfig, Link, OutboundChange, SyncRecord
from ..selectors import can_retry
from .sales_orders import ONLY_CHANGE_THE_PRICE


@dataclass
class SalesOrderStatus:
    order_id: int | None
    waiting: bool
    failed: SyncRecord | None
    advice: str


def invoice_sales_order(*, tenant: Tenant, invoice: Invoice) -> SalesOrderStatus | None:
    """The invoice's sales order draft in Tripletex, or why it is not there; None when the connector is not in play."""
    if invoice.is_draft:
        return None
    connection = Connection.objects.filter(tenant=tenant).first()
    link = Link.objects.filter(tenant=tenant, kind=Link.Kind.SALES_ORDER, local_id=invoice.id,
                               tripletex_company_id=connection.tripletex_company_id).first() if connection else None
    record = SyncRecord.objects.filter(tenant=tenant, object_kind=Link.Kind.INVOICE, local_id=invoice.id,
                                       run__connector="inventory").select_related("run").order_by("-id").first()
    enabled = ConnectorConfig.objects.filter(tenant=tenant, name="inventory", enabled=True).exists()
    if link is None and record is None and not enabled:
        return None
    waiting = OutboundChange.objects.filter(tenant=tenant, kind=Link.Kind.INVOICE, local_id=invoice.id, state__in=(
        OutboundChange.State.PENDING, OutboundChange.State.SENDING)).exists()
    failed = record if record is not None and link is None and can_retry(record) else None
    return SalesOrderStatus(order_id=link.tripletex_id if link else None, waiting=waiting, failed=failed,
                            advice=str(ONLY_CHANGE_THE_PRICE))
