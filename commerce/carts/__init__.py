"""Carts: persistent carts for customers and guests, their lines, and reading them priced.

models.py     Cart, CartLine, CartGiftCard
service.py    create_guest_cart, get_cart_for_token, get_cart_for_customer, add_item, set_quantity,
              remove_item, merge_guest_cart, set_email, set_addresses, set_voucher, remove_voucher,
              add_gift_card, remove_gift_card, set_shipping_method, mark_cart_converted,
              cart_reference
reading.py    price_cart (no writes), read_cart (re-checks, re-prices, notices) -> CartView
addresses.py  address and email checks for the cart's snapshots
"""
