"""Identity: accounts, organisations, memberships with roles, server-side sessions and API tokens.

A domain package: it uses ``emclm.db`` and ``emclm.config`` (and refers to catalogue tables by foreign
key) and never imports ``api``, ``web`` or ``cli``. The declarative authorisation policy is
``emclm.accounts.policy``; the store (every read and write of these tables) is ``emclm.accounts.store``.
"""
