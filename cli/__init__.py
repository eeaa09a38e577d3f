"""`aftersales`: the platform's command line (import, coverage, keys)."""
