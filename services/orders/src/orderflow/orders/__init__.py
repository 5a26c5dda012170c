"""Orderflow orders.

Step 1: takes orders from the shop platforms and publishes them as events.
"""
