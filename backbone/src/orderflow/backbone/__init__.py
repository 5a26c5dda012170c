"""The runtime every Orderflow service stands on.

Topology, the subscriber wrapper with its inbox and retries, the
transactional outbox and its relay, migrations, settings, logging, health
and metrics: written once here so that no service writes them again.
"""
