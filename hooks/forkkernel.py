"""Notebook kernels forked from one process that has already imported what every notebook imports.

Starting an IPython kernel costs about 1.1 s on this machine, most of it importing ipykernel, IPython,
NumPy and Matplotlib; a clean build starts one kernel per notebook. Here one *zygote* process per build
imports them once and forks a kernel for each notebook, which then starts in a fraction of that.

* The zygote (``python forkkernel.py serve SOCKET``) is single-threaded (forking a threaded process can
  copy a held lock) and never imports the project's snippets, so every notebook still imports its own.
* jupyter_client starts a tiny launcher (``python forkkernel.py launch -f CONNECTION_FILE …``) as the
  kernel process it manages. The launcher sends its arguments, working directory and environment to the
  zygote, which forks; the child becomes an ordinary ``IPKernelApp`` with exactly those, and the
  launcher exits with the kernel's exit code. A signal to the launcher is passed on to the kernel; if the
  launcher dies (killed by jupyter_client), the zygote kills the kernel; if the build dies, the zygote exits.
* Every kernel is a fresh copy of the same imported state, so notebooks stay isolated from each other,
  and the executed outputs are the same as from a normally started kernel.

Used by hooks/notebooks.py through ``kernel_manager()``; ``BAGU_KERNEL_FORK=0`` starts kernels the usual way.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading

PRELOAD = ("ipykernel.kernelapp", "IPython", "numpy", "matplotlib", "matplotlib.pyplot",
           "matplotlib_inline.backend_inline")


# --- the launcher: what jupyter_client runs as the kernel ---------------------------------------------


def launch(argv: list[str]) -> int:
    path = os.environ.get("BAGU_KERNEL_ZYGOTE")
    if not path:
        print("forkkernel.py launch: BAGU_KERNEL_ZYGOTE is not set", file=sys.stderr)
        return 2
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    env = {k: v for k, v in os.environ.items() if k != "BAGU_KERNEL_ZYGOTE"}
    conn.sendall(json.dumps({"argv": argv, "cwd": os.getcwd(), "env": env}).encode() + b"\n")

    def forward(signum, _frame):
        try:
            conn.sendall(json.dumps({"signal": signum}).encode() + b"\n")
        except OSError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = conn.recv(64)  # retried by Python after a forwarded signal (PEP 475)
        if not chunk:
            return 1  # the zygote went away
        reply += chunk
    return int(json.loads(reply)["exit"])


# --- the zygote -----------------------------------------------------------------------------------------


def _kernel(request: dict) -> None:
    """In the forked child: become the kernel the launcher asked for; never returns."""
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        argv = list(request["argv"])
        # ipykernel read JPY_PARENT_PID when the zygote imported it; the kernel's own value, explicitly
        if request["env"].get("JPY_PARENT_PID"):
            argv.append(f"--IPKernelApp.parent_handle={int(request['env']['JPY_PARENT_PID'])}")
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported on the kernel's stderr, then the child ends
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(path: str) -> int:
    for name in PRELOAD:
        __import__(name)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)  # the build waits for this line; the kernels write to the build's stderr
    os.dup2(2, 1)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    pending: dict[socket.socket, bytes] = {}  # connections whose request has not fully arrived
    children: dict[socket.socket, int] = {}   # launcher connection -> kernel pid
    while True:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                pending[conn] = b""
                sel.register(conn, selectors.EVENT_READ, None)
                continue
            data = sock.recv(1 << 20)
            if sock in pending:
                if not data:  # the launcher gave up before asking
                    del pending[sock]
                    sel.unregister(sock)
                    sock.close()
                    continue
                pending[sock] += data
                if not pending[sock].endswith(b"\n"):
                    continue
                request = json.loads(pending.pop(sock))
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    for other in list(pending) + list(children) + [sock]:
                        other.close()
                    _kernel(request)
                children[sock] = pid
            elif not data:  # the launcher died (jupyter_client killed it): so does its kernel
                _kill(children.get(sock), signal.SIGKILL)
            else:
                for line in data.splitlines():
                    _kill(children.get(sock), int(json.loads(line)["signal"]))
        for sock, pid in list(children.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                try:
                    sock.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                except OSError:
                    pass
                sel.unregister(sock)
                sock.close()
                del children[sock]
        if os.getppid() != parent:  # the build is gone
            for pid in children.values():
                _kill(pid, signal.SIGKILL)
            return 0


def _kill(pid: int | None, signum: int) -> None:
    if pid:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


# --- the build's side ------------------------------------------------------------------------------------


class Zygote:
    """One zygote per build process, started on first use, stopped when the process exits."""

    _lock = threading.Lock()
    _proc: subprocess.Popen | None = None
    _dir: str = ""

    @classmethod
    def path(cls, python: str) -> str:
        with cls._lock:
            if cls._proc is not None and cls._proc.poll() is None:
                return os.path.join(cls._dir, "zygote")
            cls._dir = tempfile.mkdtemp(prefix="bagu-zygote-")
            path = os.path.join(cls._dir, "zygote")
            cls._proc = subprocess.Popen([python, os.path.abspath(__file__), "serve", path],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
            line = cls._proc.stdout.readline()  # "ready", or "" if it died while importing
            if line.strip() != "ready":
                cls._proc.kill()
                raise RuntimeError(f"the notebook kernel zygote did not start ({sys.executable} {__file__} serve)")
            import atexit

            atexit.register(cls.stop)
            return path

    @classmethod
    def stop(cls) -> None:
        if cls._proc is not None and cls._proc.poll() is None:
            cls._proc.terminate()
            try:
                cls._proc.wait(10)
            except subprocess.TimeoutExpired:
                cls._proc.kill()
        if cls._dir:
            import shutil

            shutil.rmtree(cls._dir, ignore_errors=True)


def kernel_manager(kernel: str, **kwargs):
    """A jupyter_client AsyncKernelManager for `kernel` whose kernel is forked from the zygote (a Python
    kernel spec whose command is ``python -m ipykernel_launcher``; any other kernel starts as usual).
    Asynchronous, as nbclient expects: with a blocking client its wait for a cell's output blocks the
    event loop, so a kernel that dies inside a cell is never noticed and the build hangs."""
    from jupyter_client import AsyncKernelManager

    km = AsyncKernelManager(kernel_name=kernel, **kwargs)
    spec = km.kernel_spec
    argv = list(spec.argv)
    if (os.environ.get("BAGU_KERNEL_FORK", "1") == "0" or os.name != "posix" or spec.language != "python"
            or argv[1:3] != ["-m", "ipykernel_launcher"]):
        return km
    # jupyter_client runs a spec's bare "python" as its own interpreter; so does the zygote
    python = sys.executable if argv[0] in ("python", f"python{sys.version_info[0]}",
                                           "python%d.%d" % sys.version_info[:2]) else argv[0]
    spec.argv = [argv[0], os.path.abspath(__file__), "launch", *argv[3:]]
    spec.env = {**(spec.env or {}), "BAGU_KERNEL_ZYGOTE": Zygote.path(python)}
    return km


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        sys.exit(serve(sys.argv[2]))
    if sys.argv[1:2] == ["launch"]:
        sys.exit(launch(sys.argv[2:]))
    sys.exit("usage: forkkernel.py serve SOCKET | launch -f CONNECTION_FILE [kernel arguments]")
