"""Invoices and credit notes: issued once, numbered per kind and year without gaps, immutable.

models.py     Invoice (both kinds) and InvoiceCounter (the last number per kind and year)
numbering.py  taking the next number inside the issuing transaction
documents.py  the snapshot an invoice or credit note prints (seller, buyer, lines, tax)
pdf.py        the PDF drawn from a snapshot (reportlab)
service.py    issue_invoice, issue_credit_note, reads and the PDF download
"""
