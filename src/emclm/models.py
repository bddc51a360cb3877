"""Every area's tables in one ``MetaData``: Alembic's ``target_metadata`` (autogenerate) and ``create_all``.

Add a line here when a domain package gains a ``models`` module. This collector sits above the domain
packages, not in ``emclm.db``: ``emclm.db`` (the declarative base, engines, sessions, the migration runner)
is the bottom layer that every domain's models build on, so it imports none of them (decision 0012).
"""

from emclm.accounts import models as accounts_models  # noqa: F401
from emclm.catalogue import models as catalogue_models  # noqa: F401
from emclm.credentials import models as credentials_models  # noqa: F401
from emclm.db.base import Base
from emclm.labour import models as labour_models  # noqa: F401
from emclm.skills import models as skills_models  # noqa: F401
from emclm.taxonomy import models as taxonomy_models  # noqa: F401

metadata = Base.metadata
