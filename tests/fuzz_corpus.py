"""The hardening fuzz corpus (issue 17): run `validate`, `propose` and `batch` on hundreds
of hostile inputs, post them to a running `allocator api`, kill the batch job at random
moments, and count what must be zero. docs/hardening.md records the figures.

    python tests/fuzz_corpus.py [--count 720] [--kill-trials 30] [--out DIR] [--jobs 2]

Each command runs as it does for a user -- the `allocator` entry point in its own process
(forked from this one, so the imports are paid once), stdout and stderr captured, killed
after --hang-s seconds -- and the API is a real `allocator api` server. The inputs are
rebuilt from (form, defect, seed) by tests/fuzz_inputs.py, so nothing generated is kept
in the repository; --out keeps the inputs and outputs of any run that failed a check.

Counted (each must be 0): tracebacks, hangs, exit-0 proposals whose status is not
OPTIMAL/FEASIBLE, internal errors (exit 1, HTTP 500, failed jobs other than "no proposal
in time"), disagreements between validate / propose / batch / API on one input, and in
the kill trials: foreign files lost, output sets found incomplete, leftovers after the
next run. Exit code 0 when all are zero, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402
from fuzz_inputs import Case, corpus  # noqa: E402

from allocator.cli import main as cli_main  # noqa: E402

HAS_PROPOSAL = ("OPTIMAL", "FEASIBLE")
ESCAPED = 70  # exit code of a child whose exception escaped the entry point
TOKEN = "corpus-token-" + "0123456789abcdef"


@dataclass
class Run:
    """One command on one input."""

    command: str
    exit_code: int | None
    seconds: float
    hang: bool = False
    traceback: bool = False
    output: str = ""


@dataclass
class Verdict:
    case: str
    form: str
    defect: str
    runs: dict[str, Run] = field(default_factory=dict)
    api: str | None = None  # "invalid", "done", a job error code, or "http NNN"
    check_api: int | None = None
    defects: list[str] = field(default_factory=list)


# --- running the CLI the way a user does, in a forked process -----------------------------


def run_cli(args: list[str], hang_s: float, workdir: Path) -> Run:
    out_path, err_path = workdir / ".stdout", workdir / ".stderr"
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: the `allocator` console script, stdout/stderr to files
        code = ESCAPED
        try:
            out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            try:
                cli_main.main(args=args, prog_name="allocator", standalone_mode=True)
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            except BaseException:  # what the interpreter would print and exit 1 with
                traceback.print_exc()
                code = ESCAPED
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    status = None
    hang = False
    while status is None:
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            status = raw
            break
        if time.monotonic() - started > hang_s:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            hang = True
            break
        time.sleep(0.005)
    seconds = time.monotonic() - started
    output = out_path.read_text(encoding="utf-8", errors="replace") + err_path.read_text(
        encoding="utf-8", errors="replace"
    )
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return Run(
        command=args[0],
        exit_code=None if hang else code,
        seconds=round(seconds, 3),
        hang=hang,
        traceback="Traceback (most recent call last)" in output or code == ESCAPED,
        output=output[-4000:],
    )


# --- the API as a separate server --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`allocator api` on a free port with its own job database."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        env = dict(
            os.environ,
            ALLOCATOR_API_TOKENS=TOKEN,
            ALLOCATOR_API_DATABASE_URL=f"sqlite:///{folder / 'jobs.db'}",
            ALLOCATOR_API_MAX_QUEUED_JOBS="64",
            ALLOCATOR_API_TIME_LIMIT_S="10",
            ALLOCATOR_API_MAX_BODY_BYTES=str(16 * 1024 * 1024),
        )
        self.log = folder / "api.log"
        self.stderr = (folder / "api.stderr").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "allocator.cli",
                "api",
                "--port",
                str(self.port),
                "--log-file",
                str(self.log),
            ],
            env=env,
            stdout=self.stderr,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            timeout=60,
            headers={"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/v1/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("allocator api did not start")
            time.sleep(0.2)

    def propose(self, body: bytes, hang_s: float) -> str:
        response = self.client.post("/v1/proposals", content=body)
        if response.status_code == 422:
            return "invalid"
        if response.status_code != 202:
            return f"http {response.status_code}"
        location = response.json()["location"]
        deadline = time.monotonic() + hang_s + 15  # the job's time limit plus queueing
        while time.monotonic() < deadline:
            view = self.client.get(location).json()
            if view["status"] == "done":
                return (
                    "done"
                    if view["proposal"]["run"]["status"] in HAS_PROPOSAL
                    else ("done with " + view["proposal"]["run"]["status"])
                )
            if view["status"] == "failed":
                return str(view["error"])
            time.sleep(0.05)
        return "hang"

    def check(self, body: bytes) -> int:
        wrapped = b'{"scenario": ' + body + b', "proposal": {"matches": []}}'
        return self.client.post("/v1/check", content=wrapped).status_code

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()
        return (self.log.parent / "api.stderr").read_text(errors="replace")


# --- one case through every interface ----------------------------------------------------


EXPECTED_API = {0: "done", 2: "invalid", 4: "no_proposal_within_time_limit"}
EXPECTED_BATCH = {0: (0, 3), 2: (2,), 4: (4,)}


def judge(case: Case, folder: Path, server: Server | None, hang_s: float) -> Verdict:
    verdict = Verdict(case=case.name, form=case.form, defect=case.defect)
    path = case.write(folder / "in")
    out = folder / "proposal.json"
    runs = {
        "validate": run_cli(["validate", str(path)], hang_s, folder),
        "propose": run_cli(["propose", str(path), "--out", str(out), "--quiet"], hang_s, folder),
        "batch": run_cli(
            [
                "batch",
                "--input",
                str(path),
                "--output",
                str(folder / "out"),
                "--log-file",
                str(folder / "batch.log"),
            ],
            hang_s,
            folder,
        ),
    }
    verdict.runs = runs
    bad = verdict.defects
    for name, run in runs.items():
        if run.traceback:
            bad.append(f"traceback in {name}")
        if run.hang:
            bad.append(f"hang in {name}")
        if run.exit_code == 1:
            bad.append(f"internal error in {name}")
    v, p, b = (runs[k].exit_code for k in ("validate", "propose", "batch"))
    if v not in (0, 2, None):
        bad.append(f"validate exit {v}")
    if p == 0:
        status = json.loads(out.read_text(encoding="utf-8"))["run"]["status"]
        if status not in HAS_PROPOSAL:
            bad.append(f"exit-0 proposal with status {status}")
    elif out.exists():
        bad.append(f"propose exit {p} but wrote a proposal")
    if (v == 2) != (p == 2):
        bad.append(f"validate {v} but propose {p}")
    if p in EXPECTED_BATCH and b not in EXPECTED_BATCH[p]:
        bad.append(f"propose {p} but batch {b}")
    if b in (0, 3):
        run_json = json.loads((folder / "out" / "run.json").read_text(encoding="utf-8"))
        if run_json["run"]["status"] not in HAS_PROPOSAL:
            bad.append("batch wrote a set without a proposal")
    elif (folder / "out").exists():
        bad.append(f"batch exit {b} but wrote the output folder")
    log = folder / "batch.log"
    if log.exists():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                json.loads(line)
            except json.JSONDecodeError:
                bad.append("batch log line that is not JSON")
                break
    body = case.files.get(case.entry)
    if server is not None and body is not None:
        verdict.api = server.propose(body, hang_s)
        if verdict.api.startswith("http 5") or verdict.api in (
            "internal_error",
            "solver_rejected_model",
            "proposal_failed_independent_check",
        ):
            bad.append(f"API {verdict.api}")
        if verdict.api == "hang":
            bad.append("API job hang")
        if verdict.api.startswith("done with"):
            bad.append(f"API {verdict.api}")
        expected = EXPECTED_API.get(p) if case.form == "json" else None
        if case.form == "yaml" and verdict.api not in ("invalid",):
            bad.append(f"API accepted YAML: {verdict.api}")
        if expected is not None and verdict.api != expected:
            bad.append(f"propose {p} but API {verdict.api}")
        verdict.check_api = server.check(body)
        if verdict.check_api not in (200, 422):
            bad.append(f"/v1/check answered {verdict.check_api}")
    return verdict


# --- kill -9 of the batch job ------------------------------------------------------------


def complete(target: Path) -> bool:
    try:
        run = json.loads((target / "run.json").read_text(encoding="utf-8"))
        return all(
            hashlib.sha256((target / f["name"]).read_bytes()).hexdigest() == f["sha256"]
            for f in run["files"]
        )
    except (OSError, ValueError, KeyError):
        return False


def foreign_files(target: Path) -> dict[str, str]:
    return {
        str(p.relative_to(target)): p.read_text()
        for p in sorted(target.rglob("*"))
        if p.is_file() and ("foreign" in p.name or "kvittering" in str(p))
    }


def leftover_folders(target: Path) -> list[str]:
    from allocator.publish import leftovers

    return [p.name for p in leftovers(target)]


def events(log: Path, since: float) -> list[tuple[float, str]]:
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        at = dt.datetime.fromisoformat(event["ts"]).timestamp()
        if at >= since:
            found.append((at - since, event["event"]))
    return found


def _wait_for(
    log: Path, event: str, since: float, process: subprocess.Popen[bytes], timeout_s: float = 60.0
) -> bool:
    """Poll the batch's log until ``event`` appears (after ``since``), or the process ends."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if any(name == event for _, name in events(log, since)):
            return True
        time.sleep(0.002)
    return False


def kill_trials(trials: int, folder: Path, foreign: int, seed: int) -> dict[str, Any]:
    """``trials`` batch runs killed with SIGKILL, each followed by a run to completion.

    Four in five kills land while the output set is being checked and published: the
    trial waits for the ``batch.solved`` log line and kills after a random delay within
    the publishing time measured beforehand. The others land anywhere in the run."""
    source = HERE.parent / "scenarios" / "example"
    target = folder / "out"
    log = folder / "batch.log"
    command = [
        sys.executable,
        "-m",
        "allocator.cli",
        "batch",
        "--input",
        str(source),
        "--output",
        str(target),
        "--log-file",
        str(log),
    ]
    first = subprocess.run(command, capture_output=True, check=False)
    assert first.returncode in (0, 3), first.stderr
    for i in range(foreign):
        (target / f"foreign-{i:05d}.txt").write_text(f"a file the batch did not write {i}")
    (target / "kvitteringer" / "2026").mkdir(parents=True)
    for i in range(20):
        (target / "kvitteringer" / "2026" / f"uke-{i:02d}.xml").write_text(f"<uke n='{i}'/>")
    expected = foreign_files(target)
    calibration = time.time()
    subprocess.run(command, capture_output=True, check=False)
    timeline = dict((name, at) for at, name in events(log, calibration))
    solved, ended = timeline["batch.solved"], timeline["batch.end"]
    publishing = ended - solved
    rng = random.Random(seed)
    results: collections.Counter[str] = collections.Counter()
    phases: collections.Counter[str] = collections.Counter()
    for trial in range(trials):
        started = time.time()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if trial % 5 == 4:
            time.sleep(rng.uniform(0.0, ended + 0.1))
        elif _wait_for(log, "batch.solved", started, process):
            time.sleep(rng.uniform(0.0, 1.2 * publishing))
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen = [name for _, name in events(log, started)]
        phase = "after " + seen[-1] if seen else "before batch.start"
        if process.returncode != -signal.SIGKILL:
            phase = "finished before the kill"
        phases[phase] += 1
        now = foreign_files(target)
        results["lost_files"] += sum(1 for name in expected if name not in now)
        results["changed_files"] += sum(
            1 for name in expected if name in now and now[name] != expected[name]
        )
        results["incomplete_sets"] += 0 if complete(target) else 1
        results["leftovers_after_kill"] += len(leftover_folders(target))
        again = subprocess.run(command, capture_output=True, check=False)
        results["rerun_failed"] += 0 if again.returncode in (0, 3) else 1
        after = foreign_files(target)
        results["lost_after_rerun"] += sum(1 for name in expected if name not in after)
        results["incomplete_after_rerun"] += 0 if complete(target) else 1
        results["leftovers_after_rerun"] += len(leftover_folders(target))
    return {
        "trials": trials,
        "foreign_files": len(expected),
        "publishing_s": round(publishing, 3),
        "kill_phases": dict(phases),
        **{
            k: results[k]
            for k in (
                "lost_files",
                "changed_files",
                "incomplete_sets",
                "leftovers_after_kill",
                "rerun_failed",
                "lost_after_rerun",
                "incomplete_after_rerun",
                "leftovers_after_rerun",
            )
        },
    }


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=720, help="inputs (default 720)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--kill-trials", type=int, default=30)
    parser.add_argument("--foreign-files", type=int, default=3000)
    parser.add_argument("--hang-s", type=float, default=30.0)
    parser.add_argument("--no-api", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=None, help="keep summary.json and every failing case here"
    )
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="allocator-fuzz-corpus-"))
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="allocator-fuzz-work-"))
    started = time.monotonic()
    server = None if args.no_api else Server(work)
    verdicts: list[Verdict] = []
    try:
        for index, case in enumerate(corpus(args.count, args.first_seed)):
            folder = work / "case"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            verdict = judge(case, folder, server, args.hang_s)
            verdicts.append(verdict)
            if verdict.defects:
                shutil.copytree(folder, out / "failed" / case.name, dirs_exist_ok=True)
                print(f"FAIL {case.name}: {'; '.join(verdict.defects)}", flush=True)
            if (index + 1) % 50 == 0:
                print(
                    f"{index + 1}/{args.count} inputs, {time.monotonic() - started:.0f} s",
                    flush=True,
                )
    finally:
        server_output = server.stop() if server else ""
    kills = (
        kill_trials(args.kill_trials, work / "kill", args.foreign_files, args.first_seed)
        if args.kill_trials
        else {}
    )
    runs = [run for v in verdicts for run in v.runs.values()]
    api = [v.api for v in verdicts if v.api is not None]
    summary: dict[str, Any] = {
        "inputs": len(verdicts),
        "by_form": dict(collections.Counter(v.form for v in verdicts)),
        "by_defect": dict(collections.Counter(v.defect for v in verdicts)),
        "cli_runs": len(runs),
        "api_inputs": len(api),
        "api_requests": 2 * len(api),
        "tracebacks": sum(r.traceback for r in runs)
        + ("Traceback (most recent call last)" in server_output),
        "hangs_over_s": args.hang_s,
        "hangs": sum(r.hang for r in runs) + api.count("hang"),
        "exit0_without_proposal": sum("exit-0 proposal" in d for v in verdicts for d in v.defects),
        "internal_errors": sum(r.exit_code == 1 for r in runs)
        + sum(a.startswith("http 5") or a == "internal_error" for a in api),
        "disagreements": sum(any(" but " in d for d in v.defects) for v in verdicts),
        "inputs_with_defects": sum(bool(v.defects) for v in verdicts),
        "exit_codes": {
            cmd: dict(collections.Counter(str(v.runs[cmd].exit_code) for v in verdicts))
            for cmd in ("validate", "propose", "batch")
        },
        "api_verdicts": dict(collections.Counter(api)),
        "slowest_run_s": max((r.seconds for r in runs), default=0.0),
        "kill": kills,
        "wall_s": round(time.monotonic() - started, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "verdicts.json").write_text(
        json.dumps(
            [
                asdict(v)
                | {"runs": {k: {**asdict(r), "output": r.output[-500:]} for k, r in v.runs.items()}}
                for v in verdicts
                if v.defects
            ],
            indent=2,
        ),
        encoding="utf-8",
    )
    print(json.dumps(summary, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    zero = (
        "tracebacks",
        "hangs",
        "exit0_without_proposal",
        "internal_errors",
        "disagreements",
        "inputs_with_defects",
    )
    kill_zero = (
        "lost_files",
        "changed_files",
        "incomplete_sets",
        "rerun_failed",
        "lost_after_rerun",
        "incomplete_after_rerun",
        "leftovers_after_rerun",
    )
    ok = all(summary[k] == 0 for k in zero) and all(kills.get(k, 0) == 0 for k in kill_zero)
    print(f"{'OK' if ok else 'FAILED'}: summary in {out / 'summary.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
