"""The batch outputs in Kobo's vocabulary: reservations and allocations, ids unchanged,
valid against their published schemas; a round read from the Kobo template end to end."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from allocator.api.schemas import file_name
from allocator.batch import EXIT_OK, run_batch
from allocator.kobo_out import KOBO_ALLOCATIONS_FILE, KOBO_RESERVATIONS_FILE

ROOT = Path(__file__).resolve().parents[1]
KOBO = Path(__file__).parent / "data" / "kobo_template"
pytestmark = pytest.mark.filterwarnings("ignore::allocator.io.load.LoadWarning")


def published(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / file_name(name)).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batch") / "out"
    result = run_batch(KOBO, out, time_limit_s=20)
    assert result.exit_code == EXIT_OK, (result.message, result.problems)
    return out


def test_kobo_reservations_carry_the_matches_unchanged(batch_out: Path) -> None:
    proposal = json.loads((batch_out / "proposal.json").read_text(encoding="utf-8"))
    document = json.loads((batch_out / KOBO_RESERVATIONS_FILE).read_text(encoding="utf-8"))
    assert list(published("kobo-boligreservasjoner").iter_errors(document)) == []
    assert document["run_id"] == proposal["run"]["id"]
    assert document["tildelingsdato"] == "2026-11-23"
    entries = {(r["husstandId"], r["boligId"]): r for r in document["boligreservasjoner"]}
    assert set(entries) == {(m["household"], m["dwelling"]) for m in proposal["matches"]}
    staffed = entries[("H3", "NS3A-01")]
    assert staffed["reservasjonsstatus"] == "RESERVERT"
    assert staffed["reservertFraDato"] == "2026-11-23"
    assert staffed["planlagtInnflyttingsdato"] == next(
        m["move_in"] for m in proposal["matches"] if m["household"] == "H3"
    )
    assert staffed["begrunnelse"]  # the bokmål reasons
    ranked = [
        a["household"]
        for m in proposal["matches"]
        if m["household"] == "H3"
        for a in sorted(m["alternates"], key=lambda a: a["rank"])
    ]
    assert [r["husstandId"] for r in staffed["reserveliste"]] == ranked


def test_kobo_allocations_are_proposed_with_a_lease_start(batch_out: Path) -> None:
    proposal = json.loads((batch_out / "proposal.json").read_text(encoding="utf-8"))
    document = json.loads((batch_out / KOBO_ALLOCATIONS_FILE).read_text(encoding="utf-8"))
    assert list(published("kobo-tildelinger").iter_errors(document)) == []
    by_pair = {(t["husstandId"], t["boligId"]): t for t in document["tildelinger"]}
    for match in proposal["matches"]:
        entry = by_pair[(match["household"], match["dwelling"])]
        assert entry["tildelingsstatus"] == "FORESLATT"
        assert entry["leieforhold"] == {"startdato": match["move_in"]}
        assert entry["begrunnelseskoder"] == [r["code"] for r in match["reasons"]]
    run = json.loads((batch_out / "run.json").read_text(encoding="utf-8"))
    assert {KOBO_RESERVATIONS_FILE, KOBO_ALLOCATIONS_FILE} <= {f["name"] for f in run["files"]}
