"""The registry's rules in plain Python: lifecycle, terms, holders, reasons, the hash chain."""
