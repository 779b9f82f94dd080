"""newsgraph's errors: one tree, each error carrying its context.

    NewsgraphError
    ├── ConfigError                 a setting is missing or malformed
    ├── InputError                  what the user gave cannot be read (set aside, run goes on)
    │   ├── FetchError              a source could not be fetched
    │   │   ├── FetchTimeout
    │   │   ├── HTTPStatusError
    │   │   ├── UnsafeURL           not http(s), or a private/loopback address not allowed
    │   │   └── TooLarge            over the size cap
    │   └── ParseError              fetched, but holds no readable article (empty, binary, encoding, no article)
    ├── ExtractionError
    ├── LinkingError
    │   └── WikidataUnavailable     Wikidata (or the configured mirror) did not answer
    ├── MappingError
    ├── ValidationError             SHACL violations; carries the report
    └── LoadError                   the store refused or is unreachable
        └── StoreLocked             the embedded store is held by another process

Context is passed as keyword-only arguments (``source=``, ``article_id=``) and shown in ``str()``,
so a person sees one actionable line. Third-party exceptions are translated at the boundary
with ``raise ... from exc``.
"""
from __future__ import annotations

from typing import Any


class NewsgraphError(Exception):
    """Base class of every error newsgraph raises on purpose."""

    def __init__(self, message: str, *, source: str | None = None, article_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.article_id = article_id

    def __str__(self) -> str:
        where = self.source or (f"article {self.article_id}" if self.article_id else None)
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled with its context (source, article_id, status, report, ...): an error raised in another
        # process (the extraction process, a Dask worker) arrives whole. The default would call
        # __init__ with the message alone, which loses the context and fails on a required keyword.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[NewsgraphError], args: tuple[Any, ...], state: dict[str, Any]) -> NewsgraphError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class ConfigError(NewsgraphError):
    """A setting is missing or malformed."""


class InputError(NewsgraphError):
    """An input cannot be read; it is set aside with this reason and the run goes on."""


class FetchError(InputError):
    """A source could not be fetched."""


class FetchTimeout(FetchError):
    """The server did not answer in time."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, status: int, source: str | None = None) -> None:
        super().__init__(message, source=source)
        self.status = status


class UnsafeURL(FetchError):
    """The URL's scheme is not http(s), or it points at a private or loopback address."""


class TooLarge(FetchError):
    """The input is over the size cap."""


class ParseError(InputError):
    """The input was read but holds no article newsgraph can read."""


class ExtractionError(NewsgraphError):
    """Extraction failed on an article."""


class LinkingError(NewsgraphError):
    """Linking failed."""


class WikidataUnavailable(LinkingError):
    """Wikidata (or the configured mirror) could not be reached; entities stay unlinked for relink."""


class MappingError(NewsgraphError):
    """An extraction record could not be mapped to RDF."""


class ValidationError(NewsgraphError):
    """An article graph violates the SHACL shapes."""

    def __init__(self, message: str, *, report: str = "", article_id: str | None = None) -> None:
        super().__init__(message, article_id=article_id)
        self.report = report


class LoadError(NewsgraphError):
    """The store refused the write or cannot be reached; ``not_loaded`` names the articles not written."""

    def __init__(self, message: str, *, source: str | None = None, article_id: str | None = None,
                 not_loaded: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(message, source=source, article_id=article_id)
        self.not_loaded = list(not_loaded)


class StoreLocked(LoadError):
    """The embedded store is open in another process."""
