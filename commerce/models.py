"""Imports every model module so Base.metadata is complete (for migrations and tests)."""

from commerce.audit import AuditEntry
from commerce.carts.models import Cart, CartGiftCard, CartLine
from commerce.catalog.collections import Collection, CollectionProduct
from commerce.catalog.digital import DigitalFile, DownloadGrant, LicenseKey, LicensePool
from commerce.catalog.media import ProductMedia
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.catalog.types import Attribute, ProductType, ProductTypeAttribute
from commerce.checkout.models import CheckoutRequest
from commerce.customers.data_exports import CustomerDataExport
from commerce.customers.models import Customer
from commerce.customers.notes import CustomerNote
from commerce.events import OutboxEvent
from commerce.fulfilment.models import Shipment, ShipmentLine
from commerce.inventory.models import (
    StockLevel,
    StockMovement,
    StockReservation,
    VariantInventory,
    Warehouse,
)
from commerce.invoicing.models import Invoice, InvoiceCounter
from commerce.notifications.models import EmailMessage
from commerce.notifications.sms import SmsMessage
from commerce.orders.edit_models import OrderEdit, PaymentLink
from commerce.orders.models import Order, OrderLine
from commerce.orders.order_list import LIST_INDEXES  # noqa: F401  (the order list's indexes)
from commerce.orders.saved_views import SavedView
from commerce.orders.timeline import OrderEvent
from commerce.payments.models import Payment, ProviderEvent
from commerce.pricing.models import (
    CustomerGroup,
    GiftCard,
    GiftCardTransaction,
    PriceListPrice,
    PricingGeneration,
    Promotion,
    Voucher,
    VoucherRedemption,
)
from commerce.reporting.models import CategorySalesDay, ProductSalesDay, SalesDay
from commerce.returns.models import Return, ReturnLine
from commerce.shipping.models import ShippingMethod, ShippingRate, ShippingZone
from commerce.staff.models import StaffUser
from commerce.tax.models import TaxRate, TaxZone

__all__ = [
    "Attribute",
    "AuditEntry",
    "Brand",
    "Cart",
    "CartGiftCard",
    "CartLine",
    "Category",
    "CategorySalesDay",
    "CheckoutRequest",
    "Collection",
    "CollectionProduct",
    "Customer",
    "CustomerDataExport",
    "CustomerGroup",
    "CustomerNote",
    "DigitalFile",
    "DownloadGrant",
    "EmailMessage",
    "GiftCard",
    "GiftCardTransaction",
    "Invoice",
    "InvoiceCounter",
    "LicenseKey",
    "LicensePool",
    "Order",
    "OrderEdit",
    "OrderEvent",
    "OrderLine",
    "OutboxEvent",
    "Payment",
    "PaymentLink",
    "PriceListPrice",
    "PricingGeneration",
    "Product",
    "ProductMedia",
    "ProductSalesDay",
    "ProductType",
    "ProductTypeAttribute",
    "Promotion",
    "ProviderEvent",
    "Return",
    "ReturnLine",
    "SalesDay",
    "SavedView",
    "Shipment",
    "ShipmentLine",
    "ShippingMethod",
    "ShippingRate",
    "ShippingZone",
    "SmsMessage",
    "StaffUser",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "TaxRate",
    "TaxZone",
    "Variant",
    "VariantInventory",
    "Voucher",
    "VoucherRedemption",
    "Warehouse",
]
