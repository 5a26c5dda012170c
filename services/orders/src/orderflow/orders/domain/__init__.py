"""The orders domain: platform payloads in, Orderflow's order events out; no I/O."""
