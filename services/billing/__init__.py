"""Billing: rate card, maintenance contracts, repair bills and invoices."""
