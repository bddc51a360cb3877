"""Import every domain's models so ``Base.metadata`` is complete (Alembic, create_all in tests).

Add a line here when a domain package gains a ``models`` module.
"""

from emclm.catalogue import models as catalogue_models  # noqa: F401
from emclm.db.base import Base
from emclm.labour import models as labour_models  # noqa: F401
from emclm.skills import models as skills_models  # noqa: F401
from emclm.taxonomy import models as taxonomy_models  # noqa: F401

metadata = Base.metadata
