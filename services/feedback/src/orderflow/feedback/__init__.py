"""Orderflow feedback.

Step 5: asks for reviews, keeps them and publishes the good ones.
"""
