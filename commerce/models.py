"""Imports every model module so Base.metadata is complete (for migrations and tests)."""

from commerce.audit import AuditEntry
from commerce.catalog.collections import Collection, CollectionProduct
from commerce.catalog.digital import DigitalFile, DownloadGrant, LicenseKey, LicensePool
from commerce.catalog.media import ProductMedia
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.catalog.types import Attribute, ProductType, ProductTypeAttribute
from commerce.customers.models import Customer
from commerce.events import OutboxEvent
from commerce.inventory.models import (
    StockLevel,
    StockMovement,
    StockReservation,
    VariantInventory,
    Warehouse,
)
from commerce.notifications.models import EmailMessage
from commerce.orders.models import Order, OrderLine
from commerce.staff.models import StaffUser
from commerce.tax.models import TaxRate, TaxZone

__all__ = [
    "Attribute",
    "AuditEntry",
    "Brand",
    "Category",
    "Collection",
    "CollectionProduct",
    "Customer",
    "DigitalFile",
    "DownloadGrant",
    "EmailMessage",
    "LicenseKey",
    "LicensePool",
    "Order",
    "OrderLine",
    "OutboxEvent",
    "Product",
    "ProductMedia",
    "ProductType",
    "ProductTypeAttribute",
    "StaffUser",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "TaxRate",
    "TaxZone",
    "Variant",
    "VariantInventory",
    "Warehouse",
]
