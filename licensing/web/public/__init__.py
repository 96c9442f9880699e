"""The public's pages: the register, a licence, verifying a statement, how licences work."""
