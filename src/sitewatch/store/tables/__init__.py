"""ORM tables. Each concern has its own module; all share :class:`Base`.

Importing this package imports every table module so ``Base.metadata`` is complete.
"""

from __future__ import annotations

import importlib
import pkgutil

from sitewatch.store.tables.base import Base

__all__ = ["Base"]

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")
