"""Command line: `allocator validate | check | propose | recommend`.

Exit codes are part of the contract with batch callers:
0 success; 1 hard-rule violations found (`check`); 2 bad input (nothing written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from models.problems import InputError

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def _fail_input(error: InputError) -> None:
    click.echo(error.render(), err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="boligtildeling")
def main() -> None:
    """Tildeling av kommunale boliger: allocate municipal rental housing with CP-SAT."""


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Validate SCENARIO (file or folder); list every problem; exit 0 or 2."""
    from allocator.io.load import load_scenario

    try:
        loaded = load_scenario(scenario)
    except InputError as error:
        _fail_input(error)
    click.echo(
        f"OK: {scenario}: {len(loaded.households)} households, {len(loaded.dwellings)} "
        f"vacancies, {len(loaded.buildings)} buildings, {len(loaded.districts)} districts"
    )


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("proposal", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print violations as JSON.")
def check(scenario: Path, proposal: Path, as_json: bool) -> None:
    """Check PROPOSAL against every hard rule; exit 0 (none broken), 1 (broken), 2 (bad input)."""
    from allocator.checker import check_proposal
    from allocator.io.load import load_proposal, load_scenario

    try:
        loaded = load_scenario(scenario)
        result = load_proposal(proposal)
    except InputError as error:
        _fail_input(error)
    violations = check_proposal(loaded, result)
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json") for v in violations], indent=2))
    else:
        for v in violations:
            click.echo(v.render())
        click.echo(f"{len(violations)} hard-rule violation(s)" if violations
                   else "OK: no hard rule is broken")
    sys.exit(EXIT_VIOLATIONS if violations else EXIT_OK)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Where to write the proposal JSON.")
@click.option("--report", type=click.Path(path_type=Path), default=None,
              help="Also write a Norwegian HTML report.")
@click.option("--time-limit", type=float, default=None, help="Seconds per solve (overrides policy).")
@click.option("--method", type=click.Choice(["cp-sat", "greedy"]), default="cp-sat",
              show_default=True, help="The optimiser, or the manual-meeting greedy baseline.")
@click.option("--quiet", is_flag=True, help="No summary on standard output.")
def propose(scenario: Path, out: Path, report: Path | None, time_limit: float | None,
            method: str, quiet: bool) -> None:
    """Propose an allocation for SCENARIO and write it to --out."""
    from allocator.io.load import load_scenario
    from allocator.io.write import write_json_atomic, write_text_atomic
    from allocator.solve import propose as run_propose

    try:
        loaded = load_scenario(scenario)
        result = run_propose(loaded, method=method, time_limit_s=time_limit)
    except InputError as error:
        _fail_input(error)
    write_json_atomic(out, result.model_dump(mode="json"))
    if report is not None:
        from allocator.report import render_report

        write_text_atomic(report, render_report(loaded, result))
    if not quiet:
        from allocator.report import summary_lines

        for line in summary_lines(result):
            click.echo(line)
        click.echo(f"wrote {out}" + (f" and {report}" if report else ""))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("household")
@click.option("--top", type=int, default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def recommend(scenario: Path, household: str, top: int, as_json: bool) -> None:
    """The best dwellings for HOUSEHOLD, with the objective change of each."""
    from allocator.io.load import load_scenario
    from allocator.recommend import recommend as run_recommend

    try:
        loaded = load_scenario(scenario)
        options = run_recommend(loaded, household, top=top)
    except InputError as error:
        _fail_input(error)
    if as_json:
        click.echo(json.dumps([o.model_dump(mode="json") for o in options], indent=2))
        return
    if not options:
        click.echo(f"Ingen ledige boliger passer for {household}.")
    for rank, option in enumerate(options, start=1):
        click.echo(option.render(rank))


if __name__ == "__main__":
    main()
