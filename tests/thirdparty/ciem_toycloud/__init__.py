"""A third-party ciem provider, "toycloud", kept as small as a provider can be.

It reads one JSON file (``toycloud-export.json``) listing a tenant's users, roles (named permission
sets), grants of a role to a user on a scope, and impersonation edges. The tests install it through
its own ``ciem.providers`` entry point, exactly as ``pip install ciem-toycloud`` would.
"""

PROVIDER = "toycloud"
