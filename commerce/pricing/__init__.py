"""Pricing: one engine that prices a cart, and the rules it reads.

engine.py      quote(...) -> Quote: price lists, promotions, voucher, shipping, tax, gift cards,
               in the precedence written in its docstring; allocate() for order-level discounts
quotes.py      PricingLine in, Quote (lines, promotions, voucher, tax, gift cards) out
lookups.py     what a quote reads: variants, group prices, promotions, vouchers, gift cards
models.py      CustomerGroup, PriceListPrice, Promotion, Voucher, VoucherRedemption, GiftCard,
               GiftCardTransaction
rules.py       create_customer_group, set_customer_group, set_group_price, remove_group_price,
               create_promotion, set_promotion_active
vouchers.py    create_voucher, record_voucher_redemption, cancel_voucher_redemption
gift_cards.py  issue_gift_card, redeem_gift_card(_by_id), refund_gift_card, set_gift_card_active
errors.py      VoucherRejected (422, with a reason), GiftCardRejected (422), InsufficientBalance
"""
