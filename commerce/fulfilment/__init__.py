"""Fulfilment: shipments of an order's units, their labels and packing slips, pick lists.

models.py     Shipment (pending, label_ready, shipped, delivered, cancelled), ShipmentLine
service.py    create_shipment, mark_shipped, mark_delivered, remaining_to_ship, find_shipment
picking.py    pick_list(order_ids) -> PickList per warehouse
documents.py  make_shipping_documents (the shipment.created job), render_packing_slip,
              print_documents (bulk print), docs_dir / document_path
"""
