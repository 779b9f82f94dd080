"""newsgraph: a knowledge graph of who met whom, who attacked where and who signed what, from the news."""
from __future__ import annotations

from ._models import (
    NIL,
    Article,
    Caption,
    Entity,
    Event,
    Evidence,
    Link,
    LinkCandidate,
    Mention,
    RawPage,
    SetAside,
)
from .errors import NewsgraphError
from .settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "NIL", "Article", "Caption", "Entity", "Event", "Evidence", "Link", "LinkCandidate", "Mention",
    "NewsgraphError", "RawPage", "SetAside", "Settings", "__version__", "load_settings",
]
