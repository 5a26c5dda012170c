"""Orderflow billing.

Steps 2 and 4: Stripe products and payments, tax, invoices and credit notes.
"""
