"""Orderflow support.

Step 6: the live chat on the shop's site, bridged to Slack and Teams.
"""
