"""Helpers shared by the fault and security tests: loading other test folders' helper modules,
real oxigraph servers that a test may kill and restart, canonical N-Quads dumps, `newsgraph run`
in a child process."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox
import requests

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
SHARED = (REPO / ".." / "shared").resolve()
DEV_CORPUS = SHARED / "eval" / "corpus" / "dev"
WIKIDATA_SUBSET = SHARED / "wikidata" / "wikidata-subset.nt"
VOCABULARY = "https://w3id.org/newsgraph/graph/vocabulary"


def load_module(relpath: str, name: str) -> ModuleType:
    """Import a helper module of another test folder (tests/<relpath>) once, under ``name``."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / relpath)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OxigraphServer:
    """A real `oxigraph serve` on a loopback port over ``location``; ``kill()`` and ``start()`` again."""

    def __init__(self, location: Path, *, read_only: bool = False) -> None:
        exe = shutil.which("oxigraph")
        if exe is None:
            import pytest

            pytest.skip("the `oxigraph` server command is not installed")
        self.exe, self.location, self.read_only = exe, location, read_only
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OxigraphServer:
        cmd = "serve-read-only" if self.read_only else "serve"
        self.proc = subprocess.Popen([self.exe, cmd, "--location", str(self.location), "--bind",
                                      f"127.0.0.1:{self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(300):  # bounded: ~15 s
            if self.proc.poll() is not None:
                raise RuntimeError(f"oxigraph exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            try:
                requests.get(self.url + "/query", params={"query": "ASK {}"}, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("oxigraph did not start")

    def kill(self) -> None:
        """SIGKILL: the server dies without a chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def count(self) -> int:
        r = requests.post(self.url + "/query", data="SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                          headers={"Content-Type": "application/sparql-query",
                                   "Accept": "application/sparql-results+json"}, timeout=30)
        r.raise_for_status()
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    def dump(self) -> list[ox.Quad]:
        r = requests.get(self.url + "/store", headers={"Accept": "application/n-quads"}, timeout=60)
        r.raise_for_status()
        return list(ox.parse(r.content, format=ox.RdfFormat.N_QUADS))


# ---- comparing stores ------------------------------------------------------------------------
_STAMP = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?)"\^\^'
                    r'<http://www\.w3\.org/2001/XMLSchema#dateTime>')


def canonical(quads: Iterable[ox.Quad], *, run_started: str) -> list[str]:
    """Sorted N-Quads lines, with the run's own time stamps (fetch and extraction times, at or after
    ``run_started``) replaced by ``"RUN-TIME"`` so that two runs of the same sources compare equal.
    The vocabulary graph (the ontology, with blank nodes) is left out: compare it with ``vocabulary``."""
    lines = []
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == VOCABULARY:
            continue
        line = str(q)
        line = _STAMP.sub(lambda m: '"RUN-TIME"' if m.group(1) >= run_started else m.group(0), line)
        lines.append(line)
    return sorted(lines)


def vocabulary(quads: Iterable[ox.Quad]) -> Any:
    """The vocabulary graph, canonical (rdflib's to_isomorphic), for an isomorphism comparison."""
    import rdflib
    from rdflib.compare import to_isomorphic

    triples = [q.triple for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == VOCABULARY]
    g = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return to_isomorphic(g)


def embedded_quads(store_dir: Path) -> list[ox.Quad]:
    """Every quad of an embedded store (opened read-only; no writer may hold it)."""
    store = ox.Store.read_only(str(store_dir))
    try:
        return list(store.quads_for_pattern(None, None, None, None))
    finally:
        del store


def diff(a: list[str], b: list[str], limit: int = 20) -> str:
    sa, sb = set(a), set(b)
    only_a, only_b = sorted(sa - sb)[:limit], sorted(sb - sa)[:limit]
    return ("only in the first:\n  " + "\n  ".join(only_a) + "\nonly in the second:\n  " + "\n  ".join(only_b)
            + f"\n({len(a)} vs {len(b)} lines)")


# ---- `newsgraph run` in a child process -------------------------------------------------------
def run_env(data_dir: Path, prefect_api: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSGRAPH_", "PREFECT_"))}
    env.update({"NEWSGRAPH_DATA_DIR": str(data_dir), "NEWSGRAPH_LINKING": "off", "NEWSGRAPH_STORE": "embedded",
                "PREFECT_API_URL": prefect_api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_LOGGING_LEVEL": "WARNING",
                "PREFECT_LOCAL_STORAGE_PATH": str(data_dir.parent / "prefect-results")})
    env.update(extra)
    return env


def start_run(sources: list[str], env: dict[str, str], *, batch_size: int = 1) -> subprocess.Popen[bytes]:
    """`newsgraph run SOURCES --json` in its own process group (so a kill reaches all of it)."""
    return subprocess.Popen([sys.executable, "-m", "newsgraph.cli", "run", *sources, "--json", "--batch-size",
                             str(batch_size)], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def finish(proc: subprocess.Popen[bytes], timeout: float = 300) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (the run and anything it started)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
