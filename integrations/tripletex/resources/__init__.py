"""Tripletex API calls grouped by area; `TripletexClient` mixes them all in."""

from .events import EventMixin
from .hr import ActivityMixin, EmployeeMixin, SalaryTypeMixin, TimesheetMixin
from .ledger import LedgerMixin
from .projects import ProjectMixin
from .sales import CustomerMixin, InvoiceMixin, OrderMixin, ProductMixin, PurchaseOrderMixin, SupplierMixin

__all__ = [
    "ActivityMixin",
    "CustomerMixin",
    "EmployeeMixin",
    "EventMixin",
    "InvoiceMixin",
    "LedgerMixin",
    "OrderMixin",
    "ProductMixin",
    "ProjectMixin",
    "PurchaseOrderMixin",
    "SalaryTypeMixin",
    "SupplierMixin",
    "TimesheetMixin",
]
