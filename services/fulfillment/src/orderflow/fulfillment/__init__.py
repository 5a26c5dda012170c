"""Orderflow fulfillment.

Step 3: delivers digital goods and hands physical goods to logistics.
"""
