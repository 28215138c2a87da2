"""Process faults, through real processes of the CLI: a worker killed in the
middle of a ``--jobs 2`` run, the main process killed or stopped, and the
temporary files a killed run leaves.

The runs read standard input, so the test decides when they go on: a run
started on an open pipe has its workers up and waits for input; the test
kills what it wants, then writes the input. No step depends on how fast the
machine is (the waits poll, with generous deadlines).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from unrepeat.cli import main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

CLI = [sys.executable, "-c", "from unrepeat.cli import main; main()"]
T = TypeVar("T")


def records(n: int) -> bytes:
    return "".join(json.dumps({"id": i, "text": f"Record {i} says one thing of its own."}) + "\n"
                   for i in range(n)).encode()


def start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CLI, "clean", "-", "--format", "jsonl", *args], cwd=tmp_path,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def state(pid: int) -> str | None:
    """A process's state letter (Z: dead, not yet reaped by its parent), None once it is gone."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def wait_for(value: Callable[[], T], what: str, timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while not (result := value()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.02)
    return result


def workers_of(run: subprocess.Popen[bytes]) -> list[int]:
    """The two worker processes of a run, once it has started them."""
    def two() -> list[int]:
        kids = children(run.pid)
        return kids if len(kids) == 2 else []

    return wait_for(two, "two worker processes")


def finish(run: subprocess.Popen[bytes], timeout: float) -> tuple[int, str]:
    """Exit code and standard error of a run, which must end within ``timeout`` seconds."""
    try:
        code = run.wait(timeout=timeout)
        assert run.stderr is not None
        return code, run.stderr.read().decode()
    finally:
        run.kill()
        run.wait()


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_a_killed_worker_ends_the_run_at_once_leaving_nothing(tmp_path, scope):
    run = start(tmp_path, "--scope", scope, "--jobs", "2", "-o", "out.jsonl", "--report", "report.jsonl")
    assert run.stdin is not None
    workers = workers_of(run)
    os.kill(workers[0], signal.SIGKILL)  # what the OOM killer does
    wait_for(lambda: state(workers[0]) in ("Z", None), "the worker to die")
    run.stdin.write(records(300))  # the run goes on, and needs its workers
    run.stdin.close()
    code, stderr = finish(run, timeout=10)
    assert (code, stderr) == (1, "Error: a worker process died (signal 9); no output was written\n")
    for pid in workers:  # both were waited for: none is left running, or a zombie
        wait_for(lambda pid=pid: state(pid) is None, f"worker {pid} to be gone", timeout=10)
    assert os.listdir(tmp_path) == []


def test_workers_end_with_a_killed_run_and_the_next_run_removes_its_temporary_file(tmp_path, monkeypatch):
    run = start(tmp_path, "--jobs", "2", "-o", "out.jsonl")
    assert run.stdin is not None
    workers = workers_of(run)
    run.stdin.write(records(300))  # two batches: the first is written to the output's temporary file
    run.stdin.flush()
    (temp,) = wait_for(lambda: list(tmp_path.glob(f".out.jsonl.{run.pid}.*.tmp")), "the temporary output")
    run.kill()
    code, stderr = finish(run, timeout=10)
    assert code == -signal.SIGKILL
    for pid in workers:  # killed with it (PR_SET_PDEATHSIG): no orphan goes on
        wait_for(lambda pid=pid: state(pid) in ("Z", None), f"worker {pid} to die", timeout=10)
    assert stderr == ""  # and no orphan printed a BrokenPipeError traceback
    assert temp.exists()

    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_bytes(records(3))
    result = CliRunner().invoke(main, ["clean", "in.jsonl", "-o", "out.jsonl", "-q"])
    assert result.exit_code == 0
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 1)])
def test_a_stopped_run_stops_its_workers_and_writes_nothing(tmp_path, signum, exit_code):
    run = start(tmp_path, "--jobs", "2", "-o", "out.jsonl", "--report", "report.jsonl")
    assert run.stdin is not None
    workers = workers_of(run)
    run.stdin.write(records(300))
    run.stdin.flush()
    wait_for(lambda: list(tmp_path.glob(".out.jsonl.*.tmp")), "the temporary output")
    run.send_signal(signum)
    code, stderr = finish(run, timeout=30)
    assert code == exit_code
    assert "Traceback" not in stderr
    for pid in workers:
        wait_for(lambda pid=pid: state(pid) is None, f"worker {pid} to be gone", timeout=10)
    assert os.listdir(tmp_path) == []
