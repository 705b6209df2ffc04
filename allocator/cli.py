"""Command line: `allocator validate | check | propose | recommend | batch | ...`.

Exit codes are part of the contract with batch callers (allocator.outcome):
0 success; 1 hard-rule violations found (`check`) or an internal error; 2 bad input
(nothing written); 4 no proposal within the time limit (nothing written); `batch` also
3 (written, with R7 breaches). No command shows a traceback: an unexpected error exits 1
with one JSON log line on stderr (``ALLOCATOR_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, TextIO, cast

import click

from allocator.io.bounds import PRINTED_PROBLEMS
from models.problems import InputError

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_NO_PROPOSAL = 4


def _fail_input(error: InputError) -> None:
    click.echo(error.render(limit=PRINTED_PROBLEMS), err=True)
    sys.exit(EXIT_BAD_INPUT)


def _internal_error(command: str | None, error: BaseException) -> None:
    """One JSON log line (no message text: it may quote input) and a line for a person."""
    from allocator.logs import EventLog

    EventLog(sys.stderr).event(
        "cli.error",
        level="error",
        command=command,
        status="internal_error",
        exit_code=EXIT_INTERNAL,
        error=type(error).__name__,
    )
    click.echo(f"intern feil ({type(error).__name__}); meld fra med logglinjen over", err=True)
    sys.exit(EXIT_INTERNAL)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Library warnings as one plain line, like the loader's own warnings."""
    from allocator.logs import warning_text

    click.echo(f"advarsel: {category.__name__}: {warning_text(message)}", err=True)


class _Seconds(click.ParamType):
    """A time limit in seconds: finite, above 0, at most a week (policy solver.time_limit_s)."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} er ikke et tall (sekunder)", param, ctx)
        if not 0 < seconds <= 604_800:  # False for NaN too
            self.fail(f"{value!r}: ventet et antall sekunder over 0 og høyst 604800", param, ctx)
        return seconds


SECONDS = _Seconds()


def _output_problem(path: Path, option: str, error: OSError) -> InputError:
    """An output path that cannot be written: the caller's to fix, so exit 2."""
    from models.problems import Problem

    return InputError(
        [
            Problem(
                file=str(path),
                field=option,
                value=str(path),
                expected=f"en sti der filen kan skrives ({error.strerror})",
            )
        ]
    )


class _Commands(click.Group):
    """The command group: no traceback reaches the user, whatever a command raises."""

    def invoke(self, ctx: click.Context) -> Any:
        original = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except InputError as error:  # wherever it is raised: the input is at fault
            _fail_input(error)
        except Exception as error:
            if os.environ.get("ALLOCATOR_DEBUG"):
                raise
            _internal_error(ctx.invoked_subcommand, error)
        finally:
            warnings.showwarning = original


def _load(path: Path):  # type: ignore[no-untyped-def]
    """Read a scenario; loader warnings (e.g. skipped non-vacant Kobo rows) go to stderr."""
    from allocator.heap import settle
    from allocator.io.load import read_scenario

    loaded = read_scenario(path)
    for message in loaded.warnings:
        click.echo(f"advarsel: {message}", err=True)
    settle()
    return loaded.scenario


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="boligtildeling")
def main() -> None:
    """Tildeling av kommunale boliger: allocate municipal rental housing with CP-SAT."""


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result as JSON on standard output, with every problem.",
)
def validate(scenario: Path, as_json: bool) -> None:
    """Validate SCENARIO (file or folder); list every problem; exit 0 or 2.

    The terminal shows the first problems and a count of the rest; --json has them all."""
    try:
        loaded = _load(scenario)
    except InputError as error:
        if not as_json:
            _fail_input(error)
        click.echo(
            json.dumps(
                {
                    "ok": False,
                    "count": len(error.problems),
                    "problems": [p.model_dump(mode="json") for p in error.problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        sys.exit(EXIT_BAD_INPUT)
    counts = {
        "households": len(loaded.households),
        "vacancies": len(loaded.dwellings),
        "buildings": len(loaded.buildings),
        "districts": len(loaded.districts),
    }
    if as_json:
        click.echo(json.dumps({"ok": True, "counts": counts, "problems": []}, indent=2))
        return
    click.echo(
        f"OK: {scenario}: {len(loaded.households)} households, {len(loaded.dwellings)} "
        f"vacancies, {len(loaded.buildings)} buildings, {len(loaded.districts)} districts"
    )


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("proposal", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print violations as JSON.")
def check(scenario: Path, proposal: Path, as_json: bool) -> None:
    """Check PROPOSAL against every hard rule; exit 0 (none broken), 1 (broken), 2 (bad input).

    PROPOSAL is a proposal.json, or a manual allocation: JSON {"matches": [{household,
    dwelling, move_in}]}, or CSV/Excel with the columns household, dwelling and (optional)
    move_in; a move-in date left out is derived as `propose` derives it.
    """
    from allocator.checker import check_proposal
    from allocator.manual import load_allocation

    try:
        loaded = _load(scenario)
        allocation = load_allocation(proposal, loaded)
    except InputError as error:
        _fail_input(error)
    result = allocation.proposal
    violations = check_proposal(loaded, result)
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json") for v in violations], indent=2))
    else:
        for v in violations:
            click.echo(v.render())
        if allocation.minimal and result.breaches:
            listed = ", ".join(f"{b.household} ({b.days_over} dager)" for b in result.breaches)
            click.echo(
                f"merk: {len(result.breaches)} barnefamilie(r) over fristen for "
                f"midlertidig botilbud med denne tildelingen: {listed}"
            )
        click.echo(
            f"{len(violations)} hard-rule violation(s)"
            if violations
            else "OK: no hard rule is broken"
        )
    sys.exit(EXIT_VIOLATIONS if violations else EXIT_OK)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the proposal JSON.",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write a Norwegian HTML report.",
)
@click.option(
    "--time-limit",
    type=SECONDS,
    default=None,
    help="Seconds for the whole solve (overrides the policy).",
)
@click.option(
    "--method",
    type=click.Choice(["cp-sat", "greedy"]),
    default="cp-sat",
    show_default=True,
    help="The optimiser, or the manual-meeting greedy baseline.",
)
@click.option("--quiet", is_flag=True, help="No summary on standard output.")
def propose(
    scenario: Path,
    out: Path,
    report: Path | None,
    time_limit: float | None,
    method: str,
    quiet: bool,
) -> None:
    """Propose an allocation for SCENARIO and write it to --out.

    Exit codes: 0 written (R7 breaches are listed in it); 2 bad input, 4 no proposal within
    the time limit, 1 internal error: nothing written then."""
    from allocator.checker import check_proposal
    from allocator.io.write import write_json_atomic, write_text_atomic
    from allocator.outcome import classify
    from allocator.solve import Method
    from allocator.solve import propose as run_propose

    try:
        loaded = _load(scenario)
        result = run_propose(loaded, method=cast(Method, method), time_limit_s=time_limit)
    except InputError as error:
        _fail_input(error)
    outcome = classify(result)
    if outcome.has_proposal:
        outcome = classify(result, check_proposal(loaded, result))
    if not outcome.has_proposal:
        if outcome.exit_code == EXIT_INTERNAL:
            from allocator.logs import EventLog

            EventLog(sys.stderr).event(
                "cli.error",
                level="error",
                command="propose",
                run_id=result.run.id,
                status=outcome.kind,
                exit_code=outcome.exit_code,
                error=outcome.error,
            )
        click.echo(outcome.message, err=True)
        sys.exit(outcome.exit_code)
    try:
        write_json_atomic(out, result.model_dump(mode="json"))
    except OSError as error:
        _fail_input(_output_problem(out, "--out", error))
    if report is not None:
        from allocator.report import render_report

        try:
            write_text_atomic(report, render_report(loaded, result))
        except OSError as error:
            _fail_input(_output_problem(report, "--report", error))
    if not quiet:
        from allocator.report import summary_lines

        for line in summary_lines(result, loaded.policy.rules_off()):
            click.echo(line)
        click.echo(f"wrote {out}" + (f" and {report}" if report else ""))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("household")
@click.option("--top", type=int, default=5, show_default=True)
@click.option(
    "--proposal",
    "proposal_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The current proposal to compare with (default: the one propose makes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def recommend(
    scenario: Path, household: str, top: int, proposal_path: Path | None, as_json: bool
) -> None:
    """The best dwellings for HOUSEHOLD, each with its change to the current proposal."""
    from allocator.io.load import load_proposal
    from allocator.recommend import recommend as run_recommend

    try:
        loaded = _load(scenario)
        current = load_proposal(proposal_path) if proposal_path else None
        options = run_recommend(loaded, household, top=top, current=current)
    except InputError as error:
        _fail_input(error)
    if as_json:
        click.echo(json.dumps([o.model_dump(mode="json") for o in options], indent=2))
        return
    if not options:
        click.echo(f"Ingen ledige boliger passer for {household}.")
    for rank, option in enumerate(options, start=1):
        click.echo(option.render(rank))


@main.command("estimate-rates")
@click.argument("rounds", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="The forecast file to write (.yaml or .json), for `forecast:` in a scenario.",
)
def estimate_rates(rounds: tuple[Path, ...], out: Path) -> None:
    """Estimate the look-ahead's forecast rates from past ROUNDS (scenario files, or folders
    of *.scenario.json as `allocator replay --save-rounds` writes them)."""
    import yaml

    from allocator.forecast import estimate
    from allocator.io.load import load_scenario
    from allocator.io.write import write_text_atomic

    files: list[Path] = []
    for path in rounds:
        found = sorted(path.glob("*.scenario.json")) if path.is_dir() else []
        files += found or [path]
    try:
        scenarios = [load_scenario(f) for f in files]
        forecast = estimate(scenarios)
    except InputError as error:
        _fail_input(error)
    except ValueError as error:
        click.echo(f"estimate-rates: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    tree = forecast.model_dump(mode="json", exclude_defaults=True)
    text = (
        json.dumps(tree, indent=1, ensure_ascii=False) + "\n"
        if out.suffix == ".json"
        else yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    )
    write_text_atomic(out, text)
    click.echo(
        f"wrote {out}: {len(forecast.vacancies)} kinds of vacancy, "
        f"{len(forecast.arrivals)} kinds of clocked arrival, "
        f"{forecast.history_weeks} weeks of history"
    )


@main.command()
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The scenario (file or folder).",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder that receives the output set (replaced as one set).",
)
@click.option(
    "--time-limit",
    type=SECONDS,
    default=None,
    help="Seconds for the whole solve (overrides policy solver.time_limit_s).",
)
@click.option(
    "--log-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Append JSON-lines logs here (default: standard error).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def batch(
    input_path: Path,
    output_dir: Path,
    time_limit: float | None,
    log_file: Path | None,
    log_level: str,
) -> None:
    """Solve INPUT and publish proposal.json, matches.csv, reservations.json, run.json.

    Exit codes: 0 written; 3 written, with temporary-housing (R7) breaches; 2 bad input,
    nothing written; 4 no proposal within the time limit, nothing written; 1 internal error.
    See docs/batch.md.
    """
    from allocator.batch import EXIT_INTERNAL, run_batch
    from allocator.heap import settle
    from allocator.logs import EventLog, warnings_to

    settle()
    log = EventLog.open(log_file, log_level)
    try:
        with warnings_to(log):
            result = run_batch(input_path, output_dir, time_limit_s=time_limit, log=log)
    except Exception as error:  # keep the contract: exit 1, one log line, no traceback noise
        log.event(
            "batch.end",
            level="error",
            status="internal_error",
            exit_code=EXIT_INTERNAL,
            error=type(error).__name__,
        )
        click.echo(f"intern feil ({type(error).__name__}); meld fra med loggen", err=True)
        sys.exit(EXIT_INTERNAL)
    finally:
        log.close()
    if result.problems:
        click.echo(InputError(result.problems).render(limit=PRINTED_PROBLEMS), err=True)
    click.echo(result.message, err=result.exit_code not in (0, 3))
    sys.exit(result.exit_code)


@main.command()
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Folder for the *.vN.schema.json files.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if the files differ from the models.",
)
def schemas(out: Path, check_only: bool) -> None:
    """Generate the published JSON Schemas (scenario, proposal, reservations, batch run)."""
    from allocator.api.schemas import stale, write_schemas

    if check_only:
        differ = stale(out)
        for name in differ:
            click.echo(f"out of date: {out / name}", err=True)
        sys.exit(EXIT_VIOLATIONS if differ else EXIT_OK)
    for path in write_schemas(out):
        click.echo(f"wrote {path}")


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (localhost only by default).",
)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--time-limit",
    type=SECONDS,
    default=None,
    help="Cap on each solve's time limit in seconds (env ALLOCATOR_API_TIME_LIMIT_S).",
)
@click.option(
    "--max-jobs",
    type=int,
    default=None,
    help="Solves at once (env ALLOCATOR_API_MAX_CONCURRENT_JOBS).",
)
@click.option(
    "--log-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Append JSON-lines logs here (default: standard error).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="Default info (env ALLOCATOR_API_LOG_LEVEL).",
)
def api(
    host: str,
    port: int,
    time_limit: float | None,
    max_jobs: int | None,
    log_file: Path | None,
    log_level: str | None,
) -> None:
    """Serve the HTTP API (uvicorn). Tokens come from ALLOCATOR_API_TOKENS (comma-separated)."""
    import uvicorn
    from pydantic import ValidationError

    from allocator.api import create_app
    from allocator.api.settings import ENV_TOKENS, ApiSettings

    try:
        settings = ApiSettings.from_env(
            time_limit_s=time_limit,
            max_concurrent_jobs=max_jobs,
            log_file=log_file,
            log_level=log_level,
        )
    except ValidationError as error:
        # Only field and message: the input could be a token.
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        click.echo(f"bad API settings: {reasons}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not settings.tokens:
        click.echo(f"set {ENV_TOKENS} to one or more bearer tokens (comma-separated)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: listening on {host}; the API speaks plain HTTP, so put it "
            "behind a TLS proxy",
            err=True,
        )
    from allocator.heap import settle

    app = create_app(settings)
    settle()
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--database",
    default=None,
    help="SQLAlchemy URL (sqlite:///file.db or postgresql://...); default "
    "$ALLOCATOR_DATABASE_URL, else SQLite in the user data directory.",
)
@click.option(
    "--scenario",
    type=click.Path(path_type=Path),
    default=None,
    help="Scenario for the first round on an empty database (default: the bundled example week).",
)
def serve(host: str, port: int, database: str | None, scenario: Path | None) -> None:
    """Start the web app for the allocation meeting (tildelingsmøtet)."""
    from allocator.web.server import run

    run(host=host, port=port, database=database, scenario=scenario)


@main.command()
@click.argument("scenario", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=52,
    show_default=True,
    help="Weekly rounds to replay.",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    metavar="NAME|FILE",
    help="'default', 'greedy' or a policy YAML file; repeat to compare "
    "[default: --policy default --policy greedy].",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds the municipality and every random stream.",
)
@click.option(
    "--seeds",
    "n_seeds",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Replay seeds SEED, SEED+1, ..., SEED+N-1 (as the sweep's --seeds N is "
    "0..N-1): tables hold every seed, the report means and 95 % intervals.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for kpis.parquet/csv, summary, fairness.csv, plots/ and report.html.",
)
@click.option(
    "--time-limit",
    type=SECONDS,
    default=5.0,
    show_default=True,
    help="Solver seconds per round (rounds usually prove optimal in < 0.3 s).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="CP-SAT workers per round (1 is fastest and deterministic here).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Flow config when SCENARIO is a plain scenario "
    "[default: scenarios/municipality/drammen.yaml].",
)
@click.option(
    "--save-rounds",
    is_flag=True,
    help="Also write each week's round and proposal under OUT/rounds/.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def replay(
    scenario: Path,
    weeks: int,
    policies: tuple[str, ...],
    seed: int,
    n_seeds: int,
    out: Path,
    time_limit: float,
    workers: int,
    config: Path | None,
    save_rounds: bool,
    quiet: bool,
) -> None:
    """Replay WEEKS weekly rounds of SCENARIO under each policy and compare them.

    SCENARIO is a municipality config (kind: municipality, e.g.
    scenarios/municipality/drammen.yaml), a folder holding one, or a normal scenario whose
    round becomes day 0. With --seeds N the whole replay runs once per seed. See
    docs/replay.md. Exit codes: 0 written, 2 bad input.
    """
    from pydantic import ValidationError

    from allocator.replay import Settings, load_source, resolve_all, run_replay
    from allocator.replay.report import summary_lines, write_outputs

    seeds = list(range(seed, seed + n_seeds))
    try:
        specs = resolve_all(policies)
        municipalities = [load_source(scenario, seed=s, config=config) for s in seeds]
    except InputError as error:
        _fail_input(error)
    except ValidationError as error:
        click.echo(f"{scenario}: bad municipality config:\n{error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    from allocator.heap import settle

    settle()
    results = []
    for s, municipality in zip(seeds, municipalities, strict=True):
        rounds = out / "rounds" if n_seeds == 1 else out / "rounds" / f"seed-{s}"
        settings = Settings(
            weeks=weeks,
            seed=s,
            time_limit_s=time_limit,
            workers=workers,
            progress=not quiet,
            rounds_dir=rounds if save_rounds else None,
        )
        results.append(run_replay(municipality, specs, settings))
    paths = write_outputs(results, out)
    for line in summary_lines(results):
        click.echo(line)
    click.echo(f"wrote {len(paths)} files to {out} (report: {paths['report.html']})")


@main.command()
@click.option(
    "--tiers",
    default="week,city,example,horizon",
    show_default=True,
    help="Comma-separated tiers from benchmarks/instances.yaml "
    "(week, city, example, horizon, stock).",
)
@click.option(
    "--time-limit",
    type=SECONDS,
    default=None,
    help="CP-SAT (and HiGHS) seconds per tier [default: the tier's].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="CP-SAT workers [default: the policy's solver.workers].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("benchmarks/results"),
    show_default=True,
    help="Folder for results.json and summary.md.",
)
@click.option("--no-highs", is_flag=True, help="Skip the HiGHS comparison.")
def bench(
    tiers: str, time_limit: float | None, workers: int | None, out: Path, no_highs: bool
) -> None:
    """Run the performance benchmarks (as `python -m benchmarks`; see benchmarks/README.md).

    Exit codes: 0 every tier done and checked; 1 a tier failed; 3 an instance changed.
    """
    from benchmarks.__main__ import main_with
    from benchmarks.runner import Options

    sys.exit(
        main_with(
            Options(
                tiers=[t for t in tiers.split(",") if t],
                time_limit=time_limit,
                workers=workers,
                out=out,
                highs=not no_highs,
            )
        )
    )


@main.command()
@click.argument(
    "grid", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--price-of-rules",
    "price_of_rules",
    is_flag=True,
    help="Use the built-in grid sweeps/price_of_rules.yaml (instead of GRID).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:8786",
    help="A running Dask scheduler [default: a LocalCluster on this machine].",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=2,
    show_default=True,
    help="LocalCluster worker processes (one thread each); 0 runs the cells one "
    "by one in this process, without Dask.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: sweep-results/GRID-NAME].",
)
@click.option("--resume", is_flag=True, help="Skip cells whose result file exists.")
@click.option(
    "--weeks", type=click.IntRange(1, 520), default=None, help="Override the grid's weeks per cell."
)
@click.option(
    "--seeds",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Override the grid's seeds with 0..N-1.",
)
@click.option(
    "--time-limit", type=SECONDS, default=None, help="Override the grid's solver seconds per round."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(
    grid: Path | None,
    price_of_rules: bool,
    scheduler: str | None,
    workers: int,
    out: Path | None,
    resume: bool,
    weeks: int | None,
    seeds: int | None,
    time_limit: float | None,
    quiet: bool,
) -> None:
    """Run a grid of policies x seeds x scenarios (one replay per cell) on Dask.

    Results: OUT/cells/*.parquet and OUT/weeks/*.parquet (one file per cell), paired
    comparisons against the baseline in OUT/comparison.csv and OUT/report.html. See
    docs/sweep.md. Exit codes: 0 every cell done; 1 some cells failed after one retry
    (listed in OUT/failures.json); 2 bad input, or results exist without --resume.
    """
    from allocator.sweep import SweepExists, client_for, load_grid, price_of_rules_grid, run_sweep
    from allocator.sweep.runner import pending

    if (grid is None) == (not price_of_rules):
        click.echo("give either GRID or --price-of-rules", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        loaded = price_of_rules_grid() if grid is None else load_grid(grid)
    except InputError as error:
        _fail_input(error)
    loaded = loaded.with_overrides(weeks=weeks, seeds=seeds, time_limit_s=time_limit)
    out = out or Path("sweep-results") / loaded.name
    cells = len(loaded.cells())
    where = scheduler or (f"LocalCluster, {workers} workers" if workers else "this process")
    click.echo(
        f"{loaded.name}: {cells} cells ({len(loaded.policies)} policies x "
        f"{len(loaded.seeds)} seeds x {len(loaded.sources)} scenarios, "
        f"{loaded.weeks} weeks) on {where} -> {out}",
        err=True,
    )
    try:
        pending(loaded.cells(), out, resume)  # before a cluster starts: fail fast
        if scheduler is None and workers == 0:
            outcome = run_sweep(loaded, out, resume=resume, progress=not quiet)
        else:
            with client_for(scheduler, workers) as client:
                outcome = run_sweep(loaded, out, client=client, resume=resume, progress=not quiet)
    except SweepExists as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(
        f"{len(outcome.done)} run, {len(outcome.skipped)} skipped (done before), "
        f"{len(outcome.failures)} failed, {len(outcome.retried)} needed a retry; "
        f"{outcome.wall_s:.1f} s; report: {out / 'report.html'}"
    )
    for failure in outcome.failures:
        click.echo(
            f"FAILED {failure.cell.label()} ({failure.cell.id}): {failure.errors[-1]}", err=True
        )
    sys.exit(EXIT_OK if outcome.ok else EXIT_VIOLATIONS)


if __name__ == "__main__":
    main()
