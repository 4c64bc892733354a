"""Run one paper's external steps with a time limit and a memory guard.

pandoc is a subprocess: `memory_limiter()` is its `preexec_fn`. WeasyPrint is a library, so
`call()` runs it in a forked child process that has a memory limit (RLIMIT_AS) and a wall-clock
limit; a child that takes too long is killed, and the failure is reported as a Problem for the
paper. The child inherits the warm worker (imported modules, parsed stylesheets), so the fork
costs milliseconds.
"""
from __future__ import annotations

import errno
import faulthandler
import os
import pickle
import re
import resource
import select
import signal
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from .model import WRITE_FAILED, InputError, Problem

DEFAULT_MEMORY_MB = 2048
# Errors that mean "the output folder cannot take the file", not "the paper is broken".
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def quiet_worker() -> None:
    """In a pool worker: on Ctrl-C or SIGTERM, leave at once and without a traceback (the main process reports).

    Files are written through a temporary name and a rename, so leaving mid-way leaves no part under a
    final name; the next build removes the temporary files."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: os._exit(EXIT_INTERRUPTED))


EXIT_INTERRUPTED = 130


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb:
        limit = int(memory_mb) * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def memory_limiter(memory_mb: int | None) -> Callable[[], None] | None:
    """A subprocess `preexec_fn` that caps the child's address space at MEMORY_MB (None: no cap)."""
    if not memory_mb:
        return None
    return lambda: _limit_memory(memory_mb)


def _child(fn: Callable, args: tuple, kwargs: dict, memory_mb: int | None, write_fd: int) -> None:
    """The forked child: run FN, send ('ok', value) or the failure through WRITE_FD, never return."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        faulthandler.disable()  # a crash here is the parent's to report, without the parent's stack
        _limit_memory(memory_mb)
        try:
            message: tuple = ("ok", fn(*args, **kwargs))
        except InputError as exc:
            message = ("input", exc.problem)
        except MemoryError:
            message = ("memory",)
        except RecursionError:
            message = ("recursion",)
        except OSError as exc:
            message = ("oserror", exc.errno, exc.strerror, str(exc.filename or ""), traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            message = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            data = pickle.dumps(message)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result is a bug; say so
            data = pickle.dumps(("error", f"result cannot be sent back: {exc}", traceback.format_exc()))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # noqa: BLE001 - KeyboardInterrupt, broken pipe: just leave
        code = 1
    finally:
        os._exit(code)


def call(fn: Callable, *args, what: str, file: str, timeout: float, memory_mb: int | None = DEFAULT_MEMORY_MB,
         partials_in: Path | None = None, **kwargs) -> Any:
    """Run FN(*ARGS, **KWARGS) in a forked child with a time limit and a memory guard; return its value.

    WHAT names the step in messages ("WeasyPrint"), FILE is the post. On a timeout, a crash or running
    out of memory the child is killed and InputError(Problem(FILE, ...)) is raised; an InputError in the
    child is raised again here, any other exception as IsolatedError. Temporary files the killed child
    left in PARTIALS_IN are removed.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(fn, args, kwargs, memory_mb, write_fd)
    os.close(write_fd)
    return _wait(pid, read_fd, time.monotonic() + timeout, what, file, timeout, memory_mb, partials_in)


def _wait(pid: int, read_fd: int, deadline: float, what: str, file: str, timeout: float, memory_mb: int | None,
          partials_in: Path | None) -> Any:
    """Read the child's message from READ_FD until DEADLINE (then kill it); reap it; its outcome."""
    chunks: list[bytes] = []
    reaped = False
    try:
        eof = False
        while not eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if ready:
                chunk = os.read(read_fd, 1 << 20)
                eof = not chunk
                chunks.append(chunk)
        if not eof:
            os.kill(pid, signal.SIGKILL)
            _reap(pid, block=True)
            reaped = True
            _clean(partials_in)
            raise InputError(Problem(file, None, f"{what} took longer than {timeout:g} s and was stopped",
                                     "simplify the post (very long tables, huge images) or raise publisher.timeout"))
        status = _reap(pid, block=True)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # interrupted (Ctrl-C): never leave the child behind
            _kill(pid)
    return _outcome(b"".join(chunks), status, what, file, memory_mb, partials_in)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid, block=True)


READY = b"\x00"  # what a Child writes, before its result, once it is prepared
PREPARE_LIMIT = 60.0  # seconds a Child may spend preparing beyond its job's own time limit


class Child:
    """A child forked ahead of its job: it runs PREPARE(*PREPARE_ARGS) at once (say, importing
    WeasyPrint and loading fonts, while the parent reads the post and runs pandoc), then waits for
    the job that start() sends it and runs it with the memory guard, like call(). result() waits
    for the outcome under the time limit, which counts from start(), or from the moment the child
    is prepared if that comes later (a slow warm-up is not the job's fault). A child that is not needed
    is stopped with cancel(); if the parent dies, the child sees its job pipe close and leaves.

        child = Child(warm_up)
        ...
        child.start(fn, *args, memory_mb=1024)
        value = child.result(what="WeasyPrint", file="post.md", timeout=120)
    """

    def __init__(self, prepare: Callable | None = None, *prepare_args):
        job_read, self._job_write = os.pipe()
        self._result_read, result_write = os.pipe()
        try:
            self.pid = os.fork()
        except OSError:  # no process to spare: the caller goes without
            for fd in (job_read, self._job_write, self._result_read, result_write):
                os.close(fd)
            raise
        if self.pid == 0:
            try:
                os.close(self._job_write)
                os.close(self._result_read)
                _prepared_child(prepare, prepare_args, job_read, result_write)
            finally:
                os._exit(1)  # never return into the parent's code (a Ctrl-C right after the fork)
        os.close(job_read)
        os.close(result_write)
        self._deadline: float | None = None
        self._memory_mb: int | None = None
        self._ready = False  # the child has said it is prepared (the time limit counts from then)
        self._done = False

    def start(self, fn: Callable, *args, memory_mb: int | None = DEFAULT_MEMORY_MB, timeout: float,
              **kwargs) -> None:
        """Send the job FN(*ARGS, **KWARGS) (pickled, so FN must be a module-level function).
        A thread writes it, so the parent goes on even while the child is still preparing."""
        import threading

        data = pickle.dumps((fn, args, kwargs, memory_mb))
        fd, self._job_write = self._job_write, -1
        self._memory_mb = memory_mb
        self._deadline = time.monotonic() + timeout
        if select.select([self._result_read], [], [], 0)[0]:
            self._ready = os.read(self._result_read, 1) == READY

        def send() -> None:
            try:
                with os.fdopen(fd, "wb") as pipe:
                    pipe.write(data)
            except OSError:  # the child died; result() reports it
                pass

        threading.Thread(target=send, daemon=True).start()

    def result(self, *, what: str, file: str, timeout: float, partials_in: Path | None = None) -> Any:
        """The job's value; on a timeout, a crash or running out of memory, InputError (see call())."""
        if self._deadline is None:
            raise RuntimeError("Child.result() before start()")
        self._done = True
        if not self._ready:  # still preparing when the job came: the time limit starts when it is ready
            left = max(0.0, self._deadline + PREPARE_LIMIT - time.monotonic())
            if select.select([self._result_read], [], [], left)[0]:
                if os.read(self._result_read, 1) == READY:
                    self._deadline = time.monotonic() + timeout
        return _wait(self.pid, self._result_read, self._deadline, what, file, timeout, self._memory_mb,
                     partials_in)

    def cancel(self) -> None:
        """Stop the child if its result was never collected (no job for it, or the build was interrupted)."""
        if self._done:
            return
        self._done = True
        if self._job_write >= 0:
            os.close(self._job_write)
            self._job_write = -1
        os.close(self._result_read)
        _kill(self.pid)


def _prepared_child(prepare: Callable | None, prepare_args: tuple, job_read: int, result_write: int) -> None:
    """The child of Child: prepare, read the job (EOF without one: leave), run it through _child()."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills this child on Ctrl-C
        if prepare is not None:
            try:
                prepare(*prepare_args)
            except Exception:  # noqa: BLE001 - only an optimisation: the job reports its own problems
                pass
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # again: PREPARE may have set its own handler
        os.write(result_write, READY)
        with os.fdopen(job_read, "rb") as pipe:
            data = pipe.read()
        if not data:
            os._exit(0)
        fn, args, kwargs, memory_mb = pickle.loads(data)
    except BaseException:  # noqa: BLE001 - never return into the parent's code
        os._exit(1)
    _child(fn, args, kwargs, memory_mb, result_write)


class IsolatedError(RuntimeError):
    """An unexpected exception in the isolated step; carries the child's traceback."""

    def __init__(self, message: str, child_traceback: str):
        super().__init__(message)
        self.child_traceback = child_traceback


def _reap(pid: int, block: bool) -> int | None:
    """The child's wait status, or None when it is still running (BLOCK=False)."""
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return 0
    return status if done else None


def _clean(folder: Path | None) -> None:
    if folder is not None and folder.is_dir():
        for p in folder.glob(".*.part"):
            try:
                p.unlink()
            except OSError:
                pass


def _outcome(data: bytes, status: int, what: str, file: str, memory_mb: int | None, partials_in: Path | None):
    limit = f" (limit {memory_mb} MB, publisher.memory_mb)" if memory_mb else ""
    message = None
    if data:
        try:
            message = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a truncated message: the child died while sending
            message = None
    if message is None:
        _clean(partials_in)
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
            raise InputError(Problem(file, None, f"{what} crashed ({sig}); it may have run out of memory{limit}",
                                     "simplify the post, or raise publisher.memory_mb"))
        raise InputError(Problem(file, None, f"{what} stopped without a result (exit {os.waitstatus_to_exitcode(status)})",
                                 "run with --debug and report it"))
    kind = message[0]
    if kind == "ok":
        return message[1]
    _clean(partials_in)
    if kind == "input":
        raise InputError(message[1])
    if kind == "memory":
        raise InputError(Problem(file, None, f"{what} ran out of memory{limit}",
                                 "simplify the post (huge images or tables), or raise publisher.memory_mb"))
    if kind == "recursion":
        raise InputError(Problem(file, None, f"{what} gave up: the document is nested too deeply",
                                 "flatten nested lists, block quotes or raw HTML <div>s"))
    if kind == "oserror":
        _, err, strerror, filename, tb = message
        raise IsolatedError(f"{what}: {strerror}", tb) from OSError(err, strerror, filename or None)
    raise IsolatedError(f"{what}: {message[1]}", message[2])


def final_name(filename: str) -> str:
    """The file a temporary `.NAME.XXXXXXXX.part` (publisher.dist.atomic_write) was going to become."""
    path = Path(filename)
    m = re.fullmatch(r"\.(.+)\.[^.]+\.part", path.name)
    return str(path.with_name(m.group(1))) if m else filename


def write_failed(problems: list[Problem]) -> bool:
    """Whether PROBLEMS say the output folder could not take a file (disk full, read-only)."""
    return any(p.code == WRITE_FAILED for p in problems)


def problem_from(exc: BaseException, file: str, debug: bool = False) -> Problem:
    """A Problem for an unexpected exception while building FILE (the traceback only with DEBUG)."""
    cause = exc.__cause__ if isinstance(exc, IsolatedError) and isinstance(exc.__cause__, OSError) else exc
    if isinstance(cause, OSError) and cause.errno in WRITE_ERRNOS:
        where = f" {final_name(str(cause.filename))}" if cause.filename else ""
        return Problem(file, None, f"cannot write{where}: {cause.strerror}",
                       "free some disk space or make the output folder writable (or choose another with -o); "
                       "the previous editions were left as they were", code=WRITE_FAILED)
    if isinstance(exc, RecursionError):
        return Problem(file, None, "the document is nested too deeply to process",
                       "flatten nested lists, block quotes or raw HTML <div>s")
    if isinstance(exc, MemoryError):
        return Problem(file, None, "ran out of memory while building", "simplify the post, or raise publisher.memory_mb")
    if debug:
        detail = exc.child_traceback if isinstance(exc, IsolatedError) else "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))
    else:
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, IsolatedError) else str(exc)
    return Problem(file, None, f"internal error while building: {detail}",
                   "run with --debug for the traceback and report it")
