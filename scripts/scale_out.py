"""Scale-out mode: N `app.py` replicas behind HAProxy, sharing one Chroma server, on loopback.

    .venv/bin/python scripts/scale_out.py [--replicas 2] [--port 7860] [--data-dir DIR]
        [--threads-per-replica T] [--seed-index [DIR]] [--json-out FILE]

Started, in this order, each as a child process in its own process group:

1. one Chroma server, `chroma run --path <data-dir>/chroma-server --host 127.0.0.1 --port P`;
2. the index built into it once, `python -m assistant ingest` with ASSISTANT_CHROMA_HOST/PORT
   (with `--seed-index`, an embedded index, by default the local one of `make index`, is
   copied into the server's folder first, so this is a hash check instead of a full embed);
3. N replicas, `python app.py`, each on its own free loopback port, with the same Chroma
   server, no admin section (ASSISTANT_ADMIN_PASSWORD=""), ASSISTANT_EMBEDDING_THREADS =
   `--threads-per-replica` (default: cores // N, at least 1) and one shared
   ASSISTANT_DATA_DIR = <data-dir> (feedback of every replica goes to one SQLite file);
   each must answer `GET /v1/models` with 200;
4. HAProxy (Debian's `haproxy`, run in the foreground with `-db`) on 127.0.0.1:<port>:
   `/v1/` balanced by least connections, everything else (the Gradio UI, whose session is
   several requests: queue/join, then the event stream queue/data) round-robin with a
   sticky `SRV` cookie; health check `GET /v1/models`; an `X-Served-By` response header
   names the replica.

Prints the balancer's URL and the process ids (also as JSON with `--json-out`), then runs
until Ctrl-C or SIGTERM and stops everything: balancer, replicas, Chroma. Without
`--data-dir` everything lives in a fresh temporary folder that is removed at the end.

In-process use (the load test's matrix mode, tests/test_scale_out.py):

    with scale_out(replicas=2, seed_index=path) as cluster:
        httpx.post(f"{cluster.url}/v1/chat/completions", json=...)

See docs/scale-out.md for the topology and the reasons behind the balancer configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
HAPROXY_CANDIDATES = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
INSTALL_HINT = "apt-get install -y haproxy  (or: make balancer)"
SERVED_BY = "X-Served-By"
STICKY_COOKIE = "SRV"


class ScaleOutError(RuntimeError):
    """A part of the cluster could not be started; the message says which and why."""


# ---------------------------------------------------------------------------- helpers


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_threads(replicas: int, cores: int | None = None) -> int:
    """Embedding threads of one replica: the cores shared out, at least one each."""
    return max(1, (cores or available_cores()) // max(1, replicas))


def haproxy_executable() -> str | None:
    for candidate in HAPROXY_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("haproxy")


def chroma_executable() -> str:
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return str(beside)
    found = shutil.which("chroma")
    if not found:
        raise ScaleOutError("the `chroma` command (from the chromadb package) is not installed")
    return found


def _settings(**fields: Any) -> Any:
    sys.path.insert(0, str(ROOT))
    try:
        from assistant.settings import Settings
    finally:
        sys.path.remove(str(ROOT))
    return Settings(**fields)


def local_index_dir() -> Path:
    """The embedded index that `python -m assistant ingest` / `make index` builds."""
    return _settings(chroma_host=None).index_dir


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


# Children get SIGTERM when the process (strictly: the thread) that started them dies, so a
# killed scale_out.py leaves no orphans behind. Resolved before any fork.
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`command` in its own process group (so Ctrl-C at the terminal reaches only this script,
    which then stops the children in order), output to `log_path`."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_processes(procs: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """SIGTERM to each process group at once, SIGKILL to whatever is left after `timeout`."""
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)
        _signal_group(proc, signal.SIGKILL)  # anything the child itself left in its group


def _get_ok(url: str) -> httpx.Response | None:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response if response.status_code == 200 else None


def wait_until_serving(procs: dict[str, tuple[subprocess.Popen[bytes], str, Path]], timeout: float) -> None:
    """Until every `name: (process, url, log)` answers 200 at `url`; fails on an exit."""
    waiting = dict(procs)
    deadline = time.monotonic() + timeout
    while waiting:
        for name, (proc, url, log_path) in list(waiting.items()):
            if proc.poll() is not None:
                raise ScaleOutError(f"{name} exited ({proc.returncode}); log {log_path}:\n{_tail(log_path)}")
            if _get_ok(url) is not None:
                del waiting[name]
        if not waiting:
            return
        if time.monotonic() > deadline:
            names = ", ".join(sorted(waiting))
            raise ScaleOutError(f"not serving after {timeout:.0f} s: {names}")
        time.sleep(0.5)


# ---------------------------------------------------------------------------- the balancer


def haproxy_config(port: int, servers: list[tuple[str, int]], host: str = HOST) -> str:
    """HAProxy configuration for `servers` ([(name, port)]) behind `host:port`.

    /v1/ (the OpenAI-compatible API) is stateless, each request carries its whole
    conversation: least connections per request spreads uneven question costs best. The
    Gradio UI keeps its state (the session and its queue) in the replica's memory, and
    one question is several requests (queue/join, then the event stream queue/data), so a
    browser is pinned to one replica by a cookie the balancer inserts; if that replica is
    down the cookie is ignored (redispatch). Event streams stay open while a question
    waits: long server and tunnel timeouts.
    """
    api_servers = "\n".join(
        f"    server {name} {host}:{p} check inter 2s fall 2 rise 1" for name, p in servers
    )
    ui_servers = "\n".join(
        f"    server {name} {host}:{p} cookie {name} track api/{name}" for name, p in servers
    )
    return f"""\
# Generated by scripts/scale_out.py; see docs/scale-out.md.
global
    maxconn 4096

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 1h
    timeout server 10m
    timeout tunnel 1h
    timeout http-request 30s
    timeout http-keep-alive 30s
    timeout queue 1m
    timeout check 5s

frontend assistant
    bind {host}:{port}
    acl openai_api path_beg /v1/
    use_backend api if openai_api
    default_backend ui

backend api
    balance leastconn
    option httpchk GET /v1/models
    http-check expect status 200
    http-response set-header {SERVED_BY} %[srv_name]
{api_servers}

backend ui
    balance roundrobin
    timeout server 1h
    cookie {STICKY_COOKIE} insert indirect nocache httponly
    http-response set-header {SERVED_BY} %[srv_name]
{ui_servers}
"""


# ---------------------------------------------------------------------------- the cluster


@dataclass
class Cluster:
    url: str
    replica_names: list[str]
    replica_urls: list[str]
    replica_pids: list[int]
    chroma_url: str
    chroma_pid: int
    balancer_pid: int
    threads_per_replica: int
    data_dir: str
    run_dir: str
    logs: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        rows = [f"balancer  {self.url}  (haproxy pid {self.balancer_pid})"]
        for name, url, pid in zip(self.replica_names, self.replica_urls, self.replica_pids, strict=True):
            rows.append(f"replica   {name} {url}  (pid {pid}, {self.threads_per_replica} embedding threads)")
        rows.append(f"chroma    {self.chroma_url}  (pid {self.chroma_pid})")
        rows.append(f"data dir  {self.data_dir}")
        rows.append(f"logs      {self.run_dir}")
        return rows


def _seed(seed_index: Path, server_path: Path, derived_root: Path) -> None:
    """Copy an embedded Chroma index into the (empty) folder the server will serve, and
    what was computed from its collections (keyword index, sentence vectors, row index:
    kept beside it in `derived/`, named by collection) into the cluster's `derived_root`,
    so the replicas serve at once instead of each embedding every sentence again."""
    if server_path.exists() and any(server_path.iterdir()):
        return  # the server already has its data: never overwrite it
    if not (seed_index / "chroma.sqlite3").is_file():
        raise ScaleOutError(f"no Chroma index to seed from in {seed_index}")
    shutil.copytree(seed_index, server_path, dirs_exist_ok=True)
    derived = seed_index.parent / derived_root.name
    if derived.is_dir() and derived.resolve() != derived_root.resolve():
        shutil.copytree(derived, derived_root, dirs_exist_ok=True)


@contextlib.contextmanager
def scale_out(
    replicas: int = 2,
    port: int = 0,
    data_dir: Path | None = None,
    threads_per_replica: int | None = None,
    seed_index: Path | None = None,
    startup_timeout: float = 900.0,
    echo: bool = False,
) -> Iterator[Cluster]:
    """Start the cluster (see the module docstring), yield it, stop it on exit.

    port 0 = a free port for the balancer. data_dir None = a temporary folder, removed
    on exit. seed_index = an embedded index copied into a new server folder first."""
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    haproxy = haproxy_executable()
    if haproxy is None:
        raise ScaleOutError(f"HAProxy is not installed: {INSTALL_HINT}")
    threads = threads_per_replica or default_threads(replicas)
    temporary = data_dir is None
    base = Path(tempfile.mkdtemp(prefix="scale-out-")) if data_dir is None else Path(data_dir)
    base = base.resolve()
    run_dir = base / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    server_path = base / "chroma-server"
    if seed_index is not None:
        _seed(Path(seed_index), server_path, _settings(data_dir=base).derived_root)
    server_path.mkdir(parents=True, exist_ok=True)

    def say(message: str) -> None:
        if echo:
            print(message, flush=True)

    chroma: subprocess.Popen[bytes] | None = None
    replica_procs: list[subprocess.Popen[bytes]] = []
    balancer: subprocess.Popen[bytes] | None = None
    logs: dict[str, str] = {}
    try:
        # 1. Chroma
        chroma_port = free_port()
        chroma_url = f"http://{HOST}:{chroma_port}"
        logs["chroma"] = str(run_dir / "chroma.log")
        say(f"starting chroma on {chroma_url} …")
        chroma_cmd = [chroma_executable(), "run", "--path", str(server_path)]
        chroma = spawn([*chroma_cmd, "--host", HOST, "--port", str(chroma_port)], Path(logs["chroma"]))
        wait_until_serving({"chroma": (chroma, f"{chroma_url}/api/v2/heartbeat", Path(logs["chroma"]))}, 120)

        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(base),
            "ASSISTANT_CHROMA_HOST": HOST,
            "ASSISTANT_CHROMA_PORT": str(chroma_port),
            "ASSISTANT_ADMIN_PASSWORD": "",
            "ASSISTANT_EMBEDDING_THREADS": str(threads),
        }

        # 2. the index, once, into the server
        logs["ingest"] = str(run_dir / "ingest.log")
        say("building the index in the chroma server …")
        with open(logs["ingest"], "ab") as log:
            done = subprocess.run(
                [sys.executable, "-m", "assistant", "ingest"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=startup_timeout,
                check=False,
            )
        if done.returncode != 0:
            raise ScaleOutError(f"ingest failed ({done.returncode}):\n{_tail(Path(logs['ingest']))}")

        # 3. the replicas, started together
        names = [f"r{i}" for i in range(1, replicas + 1)]
        ports = [free_port() for _ in names]
        procs: dict[str, tuple[subprocess.Popen[bytes], str, Path]] = {}
        say(f"starting {replicas} replicas ({threads} embedding threads each) …")
        for name, replica_port in zip(names, ports, strict=True):
            log_path = run_dir / f"{name}.log"
            logs[name] = str(log_path)
            replica_env = {**env, "ASSISTANT_HOST": HOST, "ASSISTANT_PORT": str(replica_port)}
            proc = spawn([sys.executable, str(ROOT / "app.py")], log_path, replica_env)
            replica_procs.append(proc)
            procs[name] = (proc, f"http://{HOST}:{replica_port}/v1/models", log_path)
        wait_until_serving(procs, startup_timeout)

        # 4. the balancer
        balancer_port = port or free_port()
        config_path = run_dir / "haproxy.cfg"
        config_path.write_text(haproxy_config(balancer_port, list(zip(names, ports, strict=True))))
        checked = subprocess.run(
            [haproxy, "-c", "-q", "-f", str(config_path)], capture_output=True, text=True, check=False
        )
        if checked.returncode != 0:
            raise ScaleOutError(f"haproxy refused {config_path}:\n{checked.stdout}{checked.stderr}")
        logs["balancer"] = str(run_dir / "haproxy.log")
        balancer = spawn([haproxy, "-db", "-f", str(config_path)], Path(logs["balancer"]))
        url = f"http://{HOST}:{balancer_port}"
        _wait_for_balancer(balancer, url, set(names), Path(logs["balancer"]))

        cluster = Cluster(
            url=url,
            replica_names=names,
            replica_urls=[f"http://{HOST}:{p}" for p in ports],
            replica_pids=[procs[n][0].pid for n in names],
            chroma_url=chroma_url,
            chroma_pid=chroma.pid,
            balancer_pid=balancer.pid,
            threads_per_replica=threads,
            data_dir=str(base),
            run_dir=str(run_dir),
            logs=logs,
        )
        yield cluster
    finally:
        say("stopping …")
        # the balancer first (no new requests), then the replicas together, Chroma last
        if balancer is not None:
            stop_processes([balancer], timeout=10)
        stop_processes(replica_procs)
        if chroma is not None:
            stop_processes([chroma])
        if temporary:
            shutil.rmtree(base, ignore_errors=True)


def _wait_for_balancer(proc: subprocess.Popen[bytes], url: str, names: set[str], log_path: Path) -> None:
    """Until the balancer has sent `GET /v1/models` to every replica at least once."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while seen != names:
        if proc.poll() is not None:
            raise ScaleOutError(f"haproxy exited ({proc.returncode}):\n{_tail(log_path)}")
        if time.monotonic() > deadline:
            raise ScaleOutError(f"the balancer reached only {sorted(seen)} of {sorted(names)}")
        response = _get_ok(f"{url}/v1/models")
        if response is None:
            time.sleep(0.2)
            continue
        seen.add(response.headers.get(SERVED_BY, ""))


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="N app.py replicas behind HAProxy with one shared Chroma server (loopback)"
    )
    parser.add_argument("--replicas", type=int, default=2, help="app.py processes (default 2)")
    parser.add_argument("--port", type=int, default=7860, help="the balancer's port (default 7860; 0 = free)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="ASSISTANT_DATA_DIR of every replica; holds chroma-server/ and run/ "
        "(default: a temporary folder, removed at the end)",
    )
    parser.add_argument(
        "--threads-per-replica",
        type=int,
        help=f"ASSISTANT_EMBEDDING_THREADS of each replica (default: cores // replicas = "
        f"{available_cores()} // N, at least 1)",
    )
    parser.add_argument(
        "--seed-index",
        type=Path,
        nargs="?",
        const=Path(""),
        help="copy this embedded index (default with no value: the local one of `make index`) "
        "into a new server folder, so the first ingest is a hash check",
    )
    parser.add_argument("--json-out", type=Path, help="write url, replica urls and pids to this file")
    args = parser.parse_args(argv)

    seed = args.seed_index
    if seed is not None and str(seed) in ("", "."):
        seed = local_index_dir()
        if not (seed / "chroma.sqlite3").is_file():
            print(f"no local index in {seed}: building the index from scratch", flush=True)
            seed = None

    def terminate(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the stop short
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        with scale_out(
            replicas=args.replicas,
            port=args.port,
            data_dir=args.data_dir,
            threads_per_replica=args.threads_per_replica,
            seed_index=seed,
            echo=True,
        ) as cluster:
            print("\n".join(cluster.lines()), flush=True)
            if args.json_out:
                args.json_out.write_text(json.dumps(cluster.to_json(), indent=2) + "\n", encoding="utf-8")
            print(f"serving on {cluster.url} — Ctrl-C to stop", flush=True)
            _watch(cluster)
    except KeyboardInterrupt:
        pass
    except ScaleOutError as exc:
        print(f"scale-out failed: {exc}", file=sys.stderr)
        return 1
    print("stopped", flush=True)
    return 0


def _watch(cluster: Cluster) -> None:
    """Sleep; report replicas that exit (the balancer's health check routes around them);
    stop when the balancer or Chroma itself is gone."""
    gone: set[int] = set()
    while True:
        time.sleep(2)
        for name, pid in zip(cluster.replica_names, cluster.replica_pids, strict=True):
            if pid not in gone and not _alive(pid):
                gone.add(pid)
                print(f"replica {name} (pid {pid}) exited; see {cluster.logs[name]}", file=sys.stderr)
        for name, pid in (("balancer", cluster.balancer_pid), ("chroma", cluster.chroma_pid)):
            if not _alive(pid):
                print(f"{name} (pid {pid}) exited; see {cluster.logs[name]}", file=sys.stderr)
                return


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


if __name__ == "__main__":
    sys.exit(main())
