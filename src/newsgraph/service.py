"""newsgraph as a service on one machine, all on loopback: the processes and how to start and stop them.

    plan = ServicePlan.from_env(state_dir)    where everything lives and which port each part listens on
    up(plan, workers=1)                      PostgreSQL -> Prefect server -> work pool, limits, deployments
                                             -> store server -> read-only endpoint -> workers
    down(plan)                               stop all of it, newest first
    status(plan) -> dict                     what is running

The parts (docs/deploy.md draws them):

    postgres   Prefect's database: a private PostgreSQL cluster (Debian's ``postgresql`` package) in
               the state folder, TCP on 127.0.0.1 only, password auth. SQLite locks up under
               overlapping scheduled and manual runs; PostgreSQL does not.
    prefect    ``prefect server start`` (API + UI) on 127.0.0.1.
    store      ``oxigraph serve``: the one writable store server; every flow run writes through it
               (NEWSGRAPH_STORE=http://127.0.0.1:<port>), so any number of workers can load at once.
    endpoint   ``newsgraph serve``: the researcher-facing, query-only SPARQL endpoint. It queries its
               own read replica of the store server (refreshed right after the store's folder
               changes), never the store server itself, so no public query runs where the ETL writes.
    worker-N   ``prefect worker start --pool process``: pull flow runs from the ``process`` pool.

Every process runs in its own session (so its whole process group can be signalled) with its
pid in ``<state>/pids/<name>.pid`` and its output in ``<state>/logs/<name>.log``; ``down``, run from
another shell, stops exactly what ``up`` started. Processes are started through
``env --default-signal=INT`` because a process started in the background from a script inherits
an ignored SIGINT, and Prefect's worker only shuts down cleanly on SIGINT.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from .errors import NewsgraphError
from .serve import free_port  # one definition of "a free loopback port"

__all__ = [
    "POOL",
    "REPO",
    "Postgres",
    "ServiceError",
    "ServicePlan",
    "down",
    "free_port",
    "prefect_cli",
    "prefect_env",
    "register_deployments",
    "start_endpoint",
    "start_prefect_server",
    "start_process",
    "start_store",
    "start_worker",
    "status",
    "stop_process",
    "up",
    "wait_http",
]

#: The repository root (deploy/prefect.yaml and flows/ live there).
REPO = Path(__file__).resolve().parents[2]
#: The work pool every deployment targets.
POOL = "process"
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceError(NewsgraphError):
    """A part of the service did not start or stop."""


def wait_http(url: str, *, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None,
              log: Path | None = None) -> None:
    """Wait until ``url`` answers 2xx/3xx/4xx; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ServiceError(f"{url}: the process exited with {proc.returncode} before answering\n{tail}")
        try:
            with urlopen(url, timeout=5) as resp:
                if resp.status < 500:
                    return
        except URLError as exc:
            last = str(exc.reason)
            code = getattr(exc, "code", None)
            if code is not None and code < 500:
                return
        except (OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise ServiceError(f"{url} did not answer within {timeout:.0f} s ({last})\n{tail}")


# ---- plan -----------------------------------------------------------------------------------
@dataclass
class ServicePlan:
    """Where the service keeps its state and which loopback port each part uses."""

    state_dir: Path
    data_dir: Path
    postgres_port: int = 54329
    prefect_port: int = 4200
    store_port: int = 7879
    endpoint_port: int = 7878
    host: str = "127.0.0.1"
    worker_env: dict[str, str] = field(default_factory=dict)  # extra environment for workers
    server_env: dict[str, str] = field(default_factory=dict)  # extra environment for the Prefect server

    @classmethod
    def from_env(cls, state_dir: Path | None = None, env: Mapping[str, str] | None = None) -> ServicePlan:
        """Defaults, overridden by NEWSGRAPH_DATA_DIR / NEWSGRAPH_SERVICE_DIR and *_PORT variables."""
        from .settings import load_settings

        env = os.environ if env is None else env
        data_dir = Path(load_settings(dict(env)).data_dir)
        state = Path(state_dir or env.get("NEWSGRAPH_SERVICE_DIR") or data_dir / "service").expanduser()
        plan = cls(state_dir=state.resolve(), data_dir=data_dir.resolve())
        for name in ("postgres", "prefect", "store", "endpoint"):
            var = f"NEWSGRAPH_{name.upper()}_PORT"
            if env.get(var):
                setattr(plan, f"{name}_port", int(env[var]))
        return plan

    # -- derived ---------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.prefect_port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.prefect_port}"

    @property
    def store_url(self) -> str:
        return f"http://{self.host}:{self.store_port}"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.endpoint_port}/query"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pids(self) -> Path:
        return self.state_dir / "pids"

    def postgres(self) -> Postgres:
        return Postgres(self.state_dir / "postgres", port=self.postgres_port, host=self.host)

    def newsgraph_env(self) -> dict[str, str]:
        """What every flow run sees: the shared data folder, the store server, the public endpoint."""
        return {
            "NEWSGRAPH_DATA_DIR": str(self.data_dir),
            "NEWSGRAPH_STORE": self.store_url,
            "NEWSGRAPH_ENDPOINT_URL": self.endpoint_url,
            "NEWSGRAPH_REPO": str(REPO),
        }


def prefect_env(plan: ServicePlan, *, client_home: str = "client") -> dict[str, str]:
    """Environment for a Prefect client (CLI, worker, flow run) of this service's server."""
    home = plan.state_dir / "prefect" / client_home
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PREFECT_API_URL": plan.api_url,
        "PREFECT_HOME": str(home),
        # task results (the extraction cache) in one place that every worker of this machine shares
        "PREFECT_LOCAL_STORAGE_PATH": str(plan.data_dir / "prefect-results"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_WORKER_QUERY_SECONDS": os.environ.get("PREFECT_WORKER_QUERY_SECONDS", "5"),
        "PREFECT_WORKER_PREFETCH_SECONDS": os.environ.get("PREFECT_WORKER_PREFETCH_SECONDS", "10"),
    }


# ---- processes ------------------------------------------------------------------------------
def _pidfile(plan: ServicePlan, name: str) -> Path:
    return plan.pids / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def start_process(plan: ServicePlan, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                  cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, output to ``<state>/logs/<name>.log``, pid kept for ``down``."""
    plan.logs.mkdir(parents=True, exist_ok=True)
    plan.pids.mkdir(parents=True, exist_ok=True)
    pidfile = _pidfile(plan, name)
    if pidfile.exists():
        pid = int(pidfile.read_text().split()[0] or 0)
        if pid and _alive(pid):
            raise ServiceError(f"{name} is already running (pid {pid}); run `newsgraph deploy down` first")
    log = plan.logs / f"{name}.log"
    full_env = {**os.environ, **(env or {})}
    argv = ["env", "--default-signal=INT", *argv]
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=str(cwd or REPO), start_new_session=True)
    pidfile.write_text(f"{proc.pid}\n")
    return proc


def stop_process(plan: ServicePlan, name: str, *, timeout: float = 20.0) -> bool:
    """SIGINT the process group, then SIGTERM, then SIGKILL; returns whether something was running."""
    pidfile = _pidfile(plan, name)
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().split()[0])
    except (ValueError, IndexError):
        pidfile.unlink(missing_ok=True)
        return False
    was_running = _alive(pid)
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if not _alive(pid):
            break
        try:
            os.killpg(pid, sig)  # the session leader's pid is its process group id
        except ProcessLookupError:
            break
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
    try:  # whatever is left of the group (a worker's flow-run children)
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    pidfile.unlink(missing_ok=True)
    return was_running


# ---- PostgreSQL -----------------------------------------------------------------------------
def _pg_bin(tool: str) -> str:
    for d in PG_BIN_CANDIDATES:
        if (d / tool).exists():
            return str(d / tool)
    found = shutil.which(tool)
    if found:
        return found
    raise ServiceError(f"PostgreSQL's {tool} is not installed; run ./scripts/setup.sh (apt package postgresql)")


class Postgres:
    """A private PostgreSQL cluster for Prefect's database: TCP on loopback only, password auth.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user that
    Debian's package creates, and lives where that user can reach it (``~postgres/newsgraph/…``)
    with a symlink from the state folder.
    """

    def __init__(self, path: Path, *, port: int, host: str = "127.0.0.1", user: str = "newsgraph") -> None:
        self.link = path
        self.port = port
        self.host = host
        self.user = user
        self.as_root = os.geteuid() == 0
        if self.as_root:
            import hashlib

            key = hashlib.sha256(str(path.parent.resolve() / path.name).encode()).hexdigest()[:12]
            self.dir = Path("/var/lib/postgresql/newsgraph") / key
        else:
            self.dir = path
        self.password_file = path.parent / "postgres.password"
        self.log = path.parent / "logs" / "postgres.log"

    def _run(self, argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, **kw)

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = "prefect") -> str:
        return f"postgresql+asyncpg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def init(self) -> None:
        """Create the cluster once (idempotent)."""
        if (self.dir / "PG_VERSION").exists():
            return
        self.password_file.parent.mkdir(parents=True, exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
            self.password_file.chmod(0o600)
        self.dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.dir.parent / f".{self.dir.name}.pw"
        pwfile.write_text(self.password + "\n")
        if self.as_root:
            shutil.chown(self.dir.parent, "postgres", "postgres")
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        pwfile.chmod(0o600)
        self.dir.chmod(0o700)
        try:
            res = self._run([_pg_bin("initdb"), "-D", str(self.dir), "-U", self.user, "--auth=scram-sha-256",
                             f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"])
        finally:
            pwfile.unlink(missing_ok=True)
        if res.returncode != 0:
            raise ServiceError(f"initdb failed: {res.stderr.strip()[-1500:]}")
        conf = self.dir / "postgresql.conf"
        with open(conf, "a") as fh:
            fh.write(f"\n# newsgraph: loopback only, no unix socket\nlisten_addresses = '{self.host}'\n"
                     f"port = {self.port}\nunix_socket_directories = ''\nmax_connections = 200\n"
                     "shared_buffers = 128MB\nfsync = on\n")
        if self.as_root and not self.link.exists():
            self.link.parent.mkdir(parents=True, exist_ok=True)
            self.link.symlink_to(self.dir)

    def running(self) -> bool:
        return self._run([_pg_bin("pg_ctl"), "-D", str(self.dir), "status"]).returncode == 0

    def start(self, *, timeout: float = 60.0) -> None:
        self.init()
        if self.running():
            return
        self.log.parent.mkdir(parents=True, exist_ok=True)
        logfile = self.dir / "server.log"
        res = self._run([_pg_bin("pg_ctl"), "-D", str(self.dir), "-l", str(logfile), "-w", "-t", str(int(timeout)),
                         "-o", f"-p {self.port}", "start"])
        if res.returncode != 0:
            tail = ""
            try:
                tail = logfile.read_text(errors="replace")[-1500:]
            except OSError:
                pass
            raise ServiceError(f"PostgreSQL did not start: {res.stderr.strip() or res.stdout.strip()}\n{tail}")

    def stop(self) -> bool:
        if not (self.dir / "PG_VERSION").exists() or not self.running():
            return False
        self._run([_pg_bin("pg_ctl"), "-D", str(self.dir), "-m", "fast", "-w", "-t", "60", "stop"])
        return True

    def create_database(self, name: str = "prefect") -> None:
        env = {**os.environ, "PGPASSWORD": self.password}
        base = ["-h", self.host, "-p", str(self.port), "-U", self.user]
        res = subprocess.run([_pg_bin("psql"), *base, "-d", "postgres", "-tAc",
                              f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                             capture_output=True, text=True, check=False, env=env, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise ServiceError(f"cannot reach PostgreSQL: {res.stderr.strip()}")
        if res.stdout.strip() == "1":
            return
        res = subprocess.run([_pg_bin("createdb"), *base, name], capture_output=True, text=True, check=False, env=env,
                             stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise ServiceError(f"createdb {name} failed: {res.stderr.strip()}")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.link.is_symlink():
            self.link.unlink()


# ---- the parts --------------------------------------------------------------------------------
def start_prefect_server(plan: ServicePlan, *, database: str = "prefect", timeout: float = 120.0,
                         extra_env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    pg = plan.postgres()
    env = {
        **prefect_env(plan, client_home="server"),
        "PREFECT_API_DATABASE_CONNECTION_URL": pg.url(database),
        "PREFECT_SERVER_API_HOST": plan.host,
        "PREFECT_SERVER_API_PORT": str(plan.prefect_port),
        "PREFECT_UI_API_URL": plan.api_url,
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        **plan.server_env,
        **(extra_env or {}),
    }
    proc = start_process(plan, "prefect", [sys.executable, "-m", "prefect", "server", "start", "--host", plan.host,
                                           "--port", str(plan.prefect_port)], env=env)
    wait_http(f"{plan.api_url}/health", timeout=timeout, proc=proc, log=plan.logs / "prefect.log")
    return proc


def prefect_cli(plan: ServicePlan, *args: str, env: Mapping[str, str] | None = None,
                timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """Run ``prefect ARGS`` against this service's server; raise ServiceError on failure."""
    full = {**os.environ, **prefect_env(plan), **plan.newsgraph_env(), **(env or {})}
    res = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", *args], capture_output=True, text=True, check=False,
                         env=full, cwd=str(REPO), stdin=subprocess.DEVNULL, timeout=timeout)
    if res.returncode != 0:
        raise ServiceError(f"prefect {' '.join(args)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res


def register_deployments(plan: ServicePlan, *, prefect_file: Path | None = None,
                         names: Sequence[str] = ()) -> str:
    """Create the work pool and the Wikidata concurrency limit, then ``prefect deploy`` the file."""
    prefect_file = prefect_file or REPO / "deploy" / "prefect.yaml"
    try:
        prefect_cli(plan, "work-pool", "inspect", POOL)
    except ServiceError:
        prefect_cli(plan, "work-pool", "create", POOL, "--type", "process")
    # at most two link tasks (i.e. two Wikidata clients) at once, across every run and worker
    prefect_cli(plan, "concurrency-limit", "create", "wikidata", "2")
    selection = [a for n in names for a in ("--name", n)] or ["--all"]
    return prefect_cli(plan, "deploy", *selection, "--prefect-file", str(prefect_file)).stdout


def start_worker(plan: ServicePlan, name: str = "worker-1", *, limit: int | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A process worker on the ``process`` pool; flow runs inherit its environment."""
    full = {**prefect_env(plan, client_home=name), **plan.newsgraph_env(), **plan.worker_env, **(env or {})}
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name, "--type", "process"]
    if limit:
        argv += ["--limit", str(limit)]
    proc = start_process(plan, name, argv, env=full)
    _wait_log(plan, name, proc, "started", timeout=90)
    return proc


def _wait_log(plan: ServicePlan, name: str, proc: subprocess.Popen[bytes], needle: str, *, timeout: float) -> None:
    log = plan.logs / f"{name}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"{name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        if log.exists() and needle in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise ServiceError(f"{name} did not say {needle!r} within {timeout:.0f} s")


def start_store(plan: ServicePlan) -> subprocess.Popen[bytes]:
    """The one writable store server (``oxigraph serve``) over the store folder."""
    from .settings import load_settings

    store_dir = load_settings({"NEWSGRAPH_DATA_DIR": str(plan.data_dir)}).store_dir
    store_dir.mkdir(parents=True, exist_ok=True)
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    proc = start_process(plan, "store", [oxigraph, "serve", "--location", str(store_dir),
                                         "--bind", f"{plan.host}:{plan.store_port}"])
    wait_http(f"{plan.store_url}/query?query=ASK%7B%7D", timeout=60, proc=proc, log=plan.logs / "store.log")
    return proc


def start_endpoint(plan: ServicePlan) -> subprocess.Popen[bytes]:
    """The public, query-only SPARQL endpoint (``newsgraph serve``) over a read replica of the store
    server (``<data dir>/replica``), watching the store's folder so a write is seen at once."""
    from .settings import load_settings

    env = plan.newsgraph_env()
    if "NEWSGRAPH_REPLICA_WATCH" not in os.environ:  # the store server's folder (start_store), on this machine
        env["NEWSGRAPH_REPLICA_WATCH"] = str(load_settings({"NEWSGRAPH_DATA_DIR": str(plan.data_dir)}).store_dir)
    proc = start_process(plan, "endpoint", [sys.executable, "-m", "newsgraph.cli", "serve", "--host", plan.host,
                                            "--port", str(plan.endpoint_port)], env=env)
    # it listens once the first snapshot of the store is loaded: seconds, minutes for a large store
    wait_http(f"http://{plan.host}:{plan.endpoint_port}/", timeout=600, proc=proc, log=plan.logs / "endpoint.log")
    return proc


def _save(plan: ServicePlan, parts: list[str]) -> None:
    doc = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(plan).items()}
    doc["parts"] = parts
    doc["ui"] = plan.ui_url
    doc["api"] = plan.api_url
    doc["endpoint"] = plan.endpoint_url
    (plan.state_dir / "service.json").write_text(json.dumps(doc, indent=1) + "\n")


def up(plan: ServicePlan, *, workers: int = 1, deploy: bool = True, endpoint: bool = True,
       worker_limit: int | None = None, echo: Any = print) -> dict[str, Any]:
    """Start everything (idempotent for PostgreSQL; the other parts must not be running already)."""
    plan.state_dir.mkdir(parents=True, exist_ok=True)
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    parts: list[str] = []
    try:
        echo(f"postgres: starting on {plan.host}:{plan.postgres_port}")
        pg = plan.postgres()
        pg.start()
        pg.create_database("prefect")
        parts.append("postgres")
        echo(f"prefect: starting the server on {plan.ui_url}")
        start_prefect_server(plan)
        parts.append("prefect")
        echo(f"store: starting the store server on {plan.store_url}")
        start_store(plan)
        parts.append("store")
        if endpoint:
            echo(f"endpoint: starting the read-only SPARQL endpoint on {plan.endpoint_url}")
            start_endpoint(plan)
            parts.append("endpoint")
        if deploy:
            echo("deployments: registering deploy/prefect.yaml")
            register_deployments(plan)
        for i in range(1, workers + 1):
            echo(f"worker-{i}: starting (pool {POOL})")
            start_worker(plan, f"worker-{i}", limit=worker_limit)
            parts.append(f"worker-{i}")
    except BaseException:
        echo("start-up failed; stopping what was started")
        down(plan, echo=echo)
        raise
    _save(plan, parts)
    return {"ui": plan.ui_url, "api": plan.api_url, "endpoint": plan.endpoint_url, "parts": parts,
            "logs": str(plan.logs)}


def down(plan: ServicePlan, *, echo: Any = print) -> list[str]:
    """Stop everything ``up`` started (workers first, PostgreSQL last). Safe to run twice."""
    stopped = []
    names = sorted((p.stem for p in plan.pids.glob("*.pid")), key=lambda n: (not n.startswith("worker"), n)) \
        if plan.pids.exists() else []
    order = [n for n in names if n.startswith("worker")] + [n for n in ("endpoint", "store", "prefect") if n in names]
    order += [n for n in names if n not in order]
    for name in order:
        if stop_process(plan, name):
            echo(f"{name}: stopped")
            stopped.append(name)
    if plan.postgres().stop():
        echo("postgres: stopped")
        stopped.append("postgres")
    return stopped


def status(plan: ServicePlan) -> dict[str, Any]:
    running: dict[str, Any] = {}
    if plan.pids.exists():
        for p in sorted(plan.pids.glob("*.pid")):
            pid = int(p.read_text().split()[0])
            running[p.stem] = {"pid": pid, "running": _alive(pid)}
    pg = plan.postgres()
    running["postgres"] = {"running": (pg.dir / "PG_VERSION").exists() and pg.running()}
    return {"ui": plan.ui_url, "endpoint": plan.endpoint_url, "parts": running, "logs": str(plan.logs)}
