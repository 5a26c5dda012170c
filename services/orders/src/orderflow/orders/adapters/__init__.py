"""Adapters of the orders service: Postgres, signatures, the intake writer."""
