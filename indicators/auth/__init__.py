"""Accounts, roles, locality scope and sign-in: who may read and write what."""
