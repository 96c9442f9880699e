"""/api/v1/status/<number>/extract.pdf: the signed PDF extract of a licence."""
