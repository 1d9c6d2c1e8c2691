"""Sharing formats in and out: hash lists (HMA / python-threatexchange); STIX 2.1 and MISP later."""
