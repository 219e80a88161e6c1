"""Demo seed, third part: what happened to the seeded orders after they were placed.

For the orders with ids `first`..`last` (written by devtools.seed, whose statuses say where each
order stands) this adds, each table in one INSERT ... SELECT computed by the server (faster than
COPY at a million orders, since nothing crosses the wire):

- payments: one Stripe payment per order that got past checkout (succeeded for paid ones,
  authorized for orders on hold, cancelled for voided ones, failed for failed ones);
- refunds: a succeeded refund for refunded (all of it) and partially refunded orders;
- shipments and their lines: one parcel per shipped order with a tracking number (all physical
  units, or all but the last line's for a partial fulfilment), delivered ones with delivered_at;
- returns and their lines: a refunded return behind every refund of a delivered order, and a few
  recent returns in the other states;
- invoices: one per order whose payment was captured, numbered without gaps per year after what
  the year's counter already held, and the counters moved to the last number;
- the timeline (order_events): placed, held, paid, invoiced, shipped, delivered, returned,
  refunded, cancelled, in the order they happened.

The choices (carrier, refund share, return reason...) come from hashes of the order id, so a
given seed gives the same history. Stock is left alone: the opening stock of devtools.seed_stock
is today's, after every seeded shipment and return, so no ledger row is written for them. Seeded
invoices have no PDF on disk (their digest is a placeholder); the invoices service redraws a
missing PDF only when its digest matches, so downloading one answers with its error.
"""

# ruff: noqa: S608 - the statements are built from this module's constants only, no input

from __future__ import annotations

import datetime as dt

from psycopg import Cursor


def _h(salt: int) -> str:
    """A uniform integer 0..1023 drawn from the order id (`o.id`) and `salt`."""
    return f"(hashint8(o.id * 16 + {salt}) & 1023)"


# The part refunded of a partially refunded order: 20-69 % of it, at least a cent, never all.
PARTIAL = f"greatest(1, least(o.total_amount - 1, o.total_amount * (20 + mod({_h(1)}, 50)) / 100))"

CARRIERS = (("DHL", "Paket", "JJD"), ("UPS", "Standard", "1Z"), ("DPD", "Classic", "05"))

PAYMENTS = f"""
INSERT INTO payments (order_id, provider, amount, currency, status, refunded_amount,
                      idempotency_key, provider_reference, failure_message, succeeded_at,
                      created_at, updated_at)
SELECT o.id, 'stripe', o.total_amount, o.currency,
       CASE o.payment_status WHEN 'authorized' THEN 'authorized' WHEN 'voided' THEN 'cancelled'
                             WHEN 'failed' THEN 'failed' ELSE 'succeeded' END,
       CASE o.payment_status WHEN 'refunded' THEN o.total_amount
                             WHEN 'partially_refunded' THEN {PARTIAL} ELSE 0 END,
       'seed-payment-' || o.id, 'pi_seed' || o.id,
       CASE WHEN o.payment_status = 'failed' THEN 'Your card was declined.' END,
       CASE WHEN o.payment_status IN ('paid', 'partially_refunded', 'refunded')
            THEN o.placed_at + interval '20 seconds' END,
       o.placed_at, greatest(o.placed_at + interval '20 seconds', o.updated_at)
FROM orders o
WHERE o.id BETWEEN %(first)s AND %(last)s AND o.payment_status <> 'pending'
  AND o.total_amount > 0
ORDER BY o.id
"""

REFUNDS = """
INSERT INTO refunds (order_id, payment_id, provider, amount, payment_amount, gift_card_amount,
                     currency, reason, status, idempotency_key, provider_reference, actor_kind,
                     actor_label, completed_at, created_at, updated_at)
SELECT o.id, p.id, 'stripe', p.refunded_amount, p.refunded_amount, 0, p.currency,
       CASE WHEN o.status = 'cancelled' THEN 'Order cancelled after payment'
            WHEN o.payment_status = 'refunded' THEN 'Everything sent back'
            ELSE 'Part of the order sent back' END,
       'succeeded', 'seed-refund-' || o.id, 're_seed' || o.id, 'system', 'Demo seed',
       o.updated_at, o.updated_at, o.updated_at
FROM payments p JOIN orders o ON o.id = p.order_id
WHERE p.order_id BETWEEN %(first)s AND %(last)s AND p.refunded_amount > 0
ORDER BY o.id
"""

SHIPMENTS = f"""
INSERT INTO shipments (order_id, sequence, warehouse_id, carrier, service, tracking_number,
                       status, shipped_at, delivered_at, idempotency_key, created_at, updated_at)
SELECT o.id, 1, %(warehouse)s, c.carrier, c.service, c.prefix || lpad(o.id::text, 12, '0'),
       CASE WHEN o.status = 'delivered' THEN 'delivered' ELSE 'shipped' END,
       CASE WHEN o.status = 'delivered' THEN o.placed_at + (d.at - o.placed_at) * 0.4
            ELSE o.updated_at END,
       CASE WHEN o.status = 'delivered' THEN d.at END,
       'seed-shipment-' || o.id || '-1', o.placed_at, o.updated_at
FROM orders o
JOIN (VALUES {", ".join(f"({n}, '{c}', '{s}', '{p}')" for n, (c, s, p) in enumerate(CARRIERS))})
     AS c (n, carrier, service, prefix) ON c.n = mod({_h(2)}, 3)
-- refunded orders came back after delivery: their last change is the refund
CROSS JOIN LATERAL (SELECT CASE WHEN o.payment_status LIKE '%%refunded'
                                THEN o.placed_at + (o.updated_at - o.placed_at) * 0.25
                                ELSE o.updated_at END AS at) d
WHERE o.id BETWEEN %(first)s AND %(last)s AND o.fulfilment_status IN ('fulfilled', 'partial')
  AND o.shipping_country IS NOT NULL
ORDER BY o.id
"""

# Physical lines of the orders, numbered from the last (rn = 1) and counted.
PHYSICAL_LINES = """
SELECT l.id, l.order_id, l.quantity,
       row_number() OVER (PARTITION BY l.order_id ORDER BY l.id DESC) AS rn,
       row_number() OVER (PARTITION BY l.order_id ORDER BY l.id) AS first,
       count(*) OVER (PARTITION BY l.order_id) AS n
FROM order_lines l JOIN variants v ON v.id = l.variant_id
WHERE l.order_id BETWEEN %(first)s AND %(last)s AND NOT v.is_digital
"""

SHIPMENT_LINES = f"""
INSERT INTO shipment_lines (shipment_id, order_line_id, quantity)
SELECT shipment_id, line_id, quantity FROM (
    SELECT s.id AS shipment_id, l.id AS line_id,
           CASE WHEN o.fulfilment_status = 'fulfilled' OR l.rn > 1 THEN l.quantity
                WHEN l.n = 1 THEN l.quantity - 1 ELSE 0 END AS quantity
    FROM shipments s JOIN orders o ON o.id = s.order_id
    JOIN ({PHYSICAL_LINES}) l ON l.order_id = s.order_id
    WHERE s.order_id BETWEEN %(first)s AND %(last)s AND s.idempotency_key LIKE 'seed-%%'
) x
WHERE quantity > 0
ORDER BY shipment_id, line_id
"""

_REASONS = (
    "(ARRAY['damaged', 'defective', 'wrong_item', 'not_as_described', 'size_or_fit',"
    " 'no_longer_needed', 'other'])"
)
_OPEN = "(ARRAY['requested', 'approved', 'rejected', 'received', 'closed'])"

# Every refund of a delivered order had a return behind it; and about 10 % of the delivered,
# paid orders of the last 60 days have one open or closed without a refund.
RETURNS = f"""
INSERT INTO returns (order_id, customer_id, status, reason, customer_note, rejection_reason,
                     resolution, currency, refund_amount, refund_id, warehouse_id,
                     requested_by_kind, requested_by_label, decided_by_label, received_by_label,
                     resolved_by_label, approved_at, rejected_at, received_at, resolved_at,
                     closed_at, created_at, updated_at)
SELECT o.id, o.customer_id, r.status, {_REASONS}[1 + mod({_h(5)}, 7)],
       CASE WHEN {_h(6)} < 300 THEN 'Does not suit me, sorry.' END,
       CASE WHEN r.status = 'rejected' THEN 'Outside the return window' END,
       CASE WHEN r.status = 'refunded' THEN 'refund' END, o.currency,
       f.amount, f.id,
       CASE WHEN r.status IN ('received', 'refunded', 'closed') THEN %(warehouse)s END,
       CASE WHEN o.customer_id IS NULL THEN 'staff' ELSE 'customer' END,
       CASE WHEN o.customer_id IS NULL THEN 'Support' ELSE o.email END,
       CASE WHEN r.status <> 'requested' THEN 'Support' END,
       CASE WHEN r.status IN ('received', 'refunded', 'closed') THEN 'Warehouse' END,
       CASE WHEN r.status = 'refunded' THEN 'Support' END,
       CASE WHEN r.status NOT IN ('requested', 'rejected') THEN t.asked + t.step END,
       CASE WHEN r.status = 'rejected' THEN t.asked + t.step END,
       CASE WHEN r.status IN ('received', 'refunded', 'closed') THEN t.asked + 2 * t.step END,
       CASE WHEN r.status = 'refunded' THEN f.completed_at END,
       CASE WHEN r.status = 'closed' THEN t.asked + 3 * t.step END,
       t.asked,
       t.asked + t.step * CASE r.status WHEN 'requested' THEN 0 WHEN 'approved' THEN 1
                                        WHEN 'rejected' THEN 1 WHEN 'received' THEN 2
                                        ELSE 3 END
FROM orders o
JOIN shipments s ON s.order_id = o.id AND s.sequence = 1 AND s.delivered_at IS NOT NULL
LEFT JOIN refunds f ON f.order_id = o.id AND f.idempotency_key = 'seed-refund-' || o.id
CROSS JOIN LATERAL (SELECT CASE WHEN f.id IS NOT NULL THEN 'refunded'
                                ELSE {_OPEN}[1 + mod({_h(4)}, 5)] END AS status) r
CROSS JOIN LATERAL (
    SELECT s.delivered_at + (least(coalesce(f.completed_at, %(now)s), %(now)s)
                             - s.delivered_at) * 0.2 AS asked,
           (least(coalesce(f.completed_at, %(now)s), %(now)s) - s.delivered_at) * 0.2 AS step
) t
WHERE o.id BETWEEN %(first)s AND %(last)s AND o.status = 'delivered'
  AND (f.id IS NOT NULL OR (o.payment_status = 'paid' AND {_h(3)} < 102
                            AND o.placed_at > %(now)s - interval '60 days'))
ORDER BY o.id
"""

# A full refund took back every physical unit; otherwise one unit of the first line.
RETURN_LINES = f"""
INSERT INTO return_lines (return_id, order_line_id, quantity, reason_code, condition,
                          received_quantity, restocked_quantity, written_off_quantity)
SELECT r.id, l.id, q.quantity, r.reason,
       CASE WHEN r.status IN ('received', 'refunded', 'closed') THEN 'unopened' END,
       q.received, q.received, 0
FROM returns r JOIN orders o ON o.id = r.order_id
JOIN ({PHYSICAL_LINES}) l ON l.order_id = r.order_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.payment_status = 'refunded' THEN l.quantity ELSE 1 END AS quantity) q0
CROSS JOIN LATERAL (
    SELECT q0.quantity,
           CASE WHEN r.status IN ('received', 'refunded', 'closed') THEN q0.quantity ELSE 0 END
           AS received) q
WHERE r.order_id BETWEEN %(first)s AND %(last)s
  AND (o.payment_status = 'refunded' OR l.first = 1)
ORDER BY r.id, l.id
"""

# Numbers continue each year's counter, in the order the payments were taken.
INVOICES = """
INSERT INTO invoices (kind, order_id, year, sequence, issued_at, currency, net_amount, tax_amount,
                      gross_amount, snapshot, pdf_path, pdf_sha256, created_at)
SELECT 'invoice', x.id, x.year, coalesce(c.last, 0) + x.n, x.issued_at, x.currency,
       x.total_amount - x.tax_amount, x.tax_amount, x.total_amount,
       jsonb_build_object('seeded', true, 'order_number', x.number),
       'seed/' || x.year || '/' || x.number || '.pdf', md5(x.id::text) || md5(x.number::text),
       x.issued_at
FROM (
    SELECT o.id, o.number, o.currency, o.total_amount, o.tax_amount, p.succeeded_at AS issued_at,
           extract(year FROM p.succeeded_at AT TIME ZONE 'UTC')::int AS year,
           row_number() OVER (PARTITION BY extract(year FROM p.succeeded_at AT TIME ZONE 'UTC')
                              ORDER BY p.succeeded_at, o.id) AS n
    FROM orders o JOIN payments p ON p.order_id = o.id
    WHERE o.id BETWEEN %(first)s AND %(last)s AND p.succeeded_at IS NOT NULL
      AND p.idempotency_key = 'seed-payment-' || o.id
) x
LEFT JOIN invoice_counters c ON c.kind = 'invoice' AND c.year = x.year
ORDER BY x.year, x.n
"""

COUNTERS = """
INSERT INTO invoice_counters (kind, year, last)
SELECT 'invoice', year, max(sequence) FROM invoices
WHERE kind = 'invoice' AND order_id BETWEEN %(first)s AND %(last)s GROUP BY year
ON CONFLICT (kind, year) DO UPDATE SET last = greatest(invoice_counters.last, excluded.last)
"""

EVENTS = """
INSERT INTO order_events (order_id, kind, message, data, actor_kind, actor_id, actor_label,
                          created_at)
SELECT order_id, kind, message, data, actor_kind, actor_id, actor_label, at FROM (
    SELECT o.id AS order_id, 'status' AS kind,
           CASE WHEN o.status = 'draft' THEN 'Draft order created' ELSE 'Order placed' END
           AS message, jsonb_build_object('status', CASE WHEN o.status = 'draft' THEN 'draft'
                                                          ELSE 'pending_payment' END) AS data,
           CASE WHEN o.status = 'draft' OR o.customer_id IS NULL THEN 'system' ELSE 'customer'
           END AS actor_kind,
           CASE WHEN o.status <> 'draft' THEN o.customer_id END AS actor_id,
           CASE WHEN o.status = 'draft' THEN 'Demo seed' ELSE o.email END AS actor_label,
           o.placed_at AS at, 0 AS step
    FROM orders o WHERE o.id BETWEEN %(first)s AND %(last)s
  UNION ALL
    SELECT p.order_id, 'payment',
           CASE p.status WHEN 'succeeded' THEN 'Payment captured'
                         WHEN 'authorized' THEN 'Payment authorized'
                         WHEN 'cancelled' THEN 'Payment voided' ELSE 'Payment failed' END,
           jsonb_build_object('payment_id', p.id, 'amount', p.amount, 'status', p.status),
           'system', NULL, 'Stripe', coalesce(p.succeeded_at, p.updated_at), 1
    FROM payments p
    WHERE p.order_id BETWEEN %(first)s AND %(last)s AND p.idempotency_key LIKE 'seed-%%'
  UNION ALL
    SELECT o.id, 'status', 'Put on hold for a fraud check',
           jsonb_build_object('status', 'on_hold'), 'system', NULL, 'Fraud check',
           o.placed_at + interval '30 seconds', 2
    FROM orders o WHERE o.id BETWEEN %(first)s AND %(last)s AND o.status = 'on_hold'
  UNION ALL
    SELECT i.order_id, 'invoice', 'Invoice ' || i.number || ' issued',
           jsonb_build_object('invoice_id', i.id, 'number', i.number), 'system', NULL,
           'Invoicing', i.issued_at + interval '1 second', 3
    FROM invoices i WHERE i.order_id BETWEEN %(first)s AND %(last)s AND i.kind = 'invoice'
  UNION ALL
    SELECT s.order_id, 'shipment',
           'Shipped with ' || s.carrier || ', tracking ' || s.tracking_number,
           jsonb_build_object('shipment_id', s.id, 'tracking_number', s.tracking_number),
           'system', NULL, 'Warehouse', s.shipped_at, 4
    FROM shipments s
    WHERE s.order_id BETWEEN %(first)s AND %(last)s AND s.idempotency_key LIKE 'seed-%%'
  UNION ALL
    SELECT s.order_id, 'shipment', 'Delivered', jsonb_build_object('shipment_id', s.id),
           'system', NULL, s.carrier, s.delivered_at, 5
    FROM shipments s
    WHERE s.order_id BETWEEN %(first)s AND %(last)s AND s.delivered_at IS NOT NULL
      AND s.idempotency_key LIKE 'seed-%%'
  UNION ALL
    SELECT r.order_id, 'return', 'Return R' || r.number || ' ' || r.status,
           jsonb_build_object('return_id', r.id, 'status', r.status), r.requested_by_kind,
           NULL, r.requested_by_label, r.created_at, 6
    FROM returns r WHERE r.order_id BETWEEN %(first)s AND %(last)s
  UNION ALL
    SELECT f.order_id, 'refund', 'Refunded ' || f.amount || ' (' || f.reason || ')',
           jsonb_build_object('refund_id', f.id, 'amount', f.amount), 'system', NULL,
           'Demo seed', f.completed_at, 7
    FROM refunds f
    WHERE f.order_id BETWEEN %(first)s AND %(last)s AND f.idempotency_key LIKE 'seed-%%'
  UNION ALL
    SELECT o.id, 'status', 'Order cancelled', jsonb_build_object('status', 'cancelled'),
           'system', NULL, 'Demo seed', o.updated_at, 8
    FROM orders o WHERE o.id BETWEEN %(first)s AND %(last)s AND o.status = 'cancelled'
) e
ORDER BY order_id, at, step
"""

STEPS = (
    ("payments", PAYMENTS),
    ("refunds", REFUNDS),
    ("shipments", SHIPMENTS),
    ("shipment_lines", SHIPMENT_LINES),
    ("returns", RETURNS),
    ("return_lines", RETURN_LINES),
    ("invoices", INVOICES),
    ("invoice_counters", COUNTERS),
    ("order_events", EVENTS),
)


def seed_history(cursor: Cursor, first: int, last: int, now: dt.datetime) -> dict[str, int]:
    """Write the history of orders `first`..`last` (see the module docstring) as it stands at
    `now`; returns the rows written per table. Needs the warehouses of devtools.seed_stock."""
    if last < first:
        return {name: 0 for name, _ in STEPS}
    row = cursor.execute("SELECT id FROM warehouses ORDER BY priority, id LIMIT 1").fetchone()
    if row is None:
        raise ValueError("the history needs a warehouse (seed stock first)")
    params = {"first": first, "last": last, "now": now, "warehouse": row[0]}
    counts = {}
    for name, statement in STEPS:
        counts[name] = cursor.execute(statement, params).rowcount
    cursor.execute(
        "ANALYZE payments, refunds, shipments, shipment_lines, returns, return_lines, invoices,"
        " order_events"
    )
    return counts
