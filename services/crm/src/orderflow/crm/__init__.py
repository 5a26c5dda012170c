"""Orderflow crm.

Step 2: keeps the customer record, syncs it to CRMs and confirms each order by email.
"""
