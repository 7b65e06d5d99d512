"""Entry: rents attract capital, and investors found new platforms during the run (DESIGN §2).

An entrant takes a free slot while some platform makes a profit, gets the founding round the first
platforms got, and lives on it for its seed stage before investors compare it with the leader.
"""

import numpy as np
import pytest

from model.economy import PlatformEconomy
from tests.conftest import ROOT, run, scenario
from tests.books import check_books

SMALL = {"users__count": 2000, "simulation__steps": 150}
ENTRY = {"entry__entrants": 2, "entry__rate": 0.2}


@pytest.fixture(scope="module")
def runs_with_entry():
    return [run(scenario(**SMALL, **ENTRY, simulation__seed=seed)) for seed in range(3)]


def first_entry(economy) -> int | None:
    return min((entry["step"] for entry in economy.funding.entries), default=None)


def test_entrants_appear_only_in_free_slots(runs_with_entry):
    assert any(economy.funding.entries for economy in runs_with_entry), "nobody entered in these seeds"
    for economy in runs_with_entry:
        assert len(economy.funding.entries) <= 2
        assert len({entry["platform"] for entry in economy.funding.entries}) == len(economy.funding.entries)
        assert economy.model_frame()["entries"].iloc[-1] == len(economy.funding.entries)


def test_nobody_enters_before_a_platform_has_made_a_profit(runs_with_entry):
    for economy in runs_with_entry:
        if not economy.funding.entries:
            continue
        platforms = economy.platform_frame()
        first_profit = platforms.loc[platforms["profit"] > 0, "step"].min()
        assert first_entry(economy) > first_profit


def test_an_entrant_is_founded_by_investors_and_opens_that_month(runs_with_entry):
    for economy in runs_with_entry:
        ledger = check_books(economy)
        platforms = economy.platform_frame().set_index(["step", "platform_id"])
        for entry in economy.funding.entries:
            month, slot = entry["step"], entry["platform"]
            assert platforms.loc[(month - 1, slot), "status"] == "planned"
            assert platforms.loc[(month, slot), "status"] != "planned"
            equity = ledger[(ledger["payee"] == f"platform:{slot}") & (ledger["kind"] == "equity")]
            assert equity["step"].min() == month
            seed = equity[equity["step"] == month]
            assert seed["payer"].str.startswith("investor:").all()
            assert seed["amount"].sum() == pytest.approx(economy.params.platforms.seed_funding * economy.params.users.count)
            holders = economy.investor_frame().query("platform_id == @slot")["holder"]
            assert f"founders:{slot}" in set(holders)


def test_an_entrant_values_growth_in_its_seed_stage_though_investors_would_not_yet_fund_it():
    for seed in range(4):  # the first seed in which somebody enters
        economy = PlatformEconomy(scenario(**SMALL, **ENTRY, simulation__seed=seed))
        while not economy.funding.entries and economy.month < SMALL["simulation__steps"]:
            economy.step()
        if economy.funding.entries:
            break
    assert economy.funding.entries, "nobody entered in seeds 0 to 3"
    entrant = economy.platforms[economy.funding.entries[0]["platform"]]
    assert economy.funding.in_seed_stage(entrant)
    assert economy.funding.promise(entrant) < economy.params.funding.min_share_of_leader
    assert economy.funding.user_values()[entrant.platform_id] > 0


def test_without_entry_slots_nobody_enters():
    economy = run(scenario(**SMALL, simulation__seed=0))
    assert economy.funding.entries == [] and len(economy.platforms) == economy.params.platforms.count


def test_until_the_first_entrant_the_run_is_the_run_without_entry(runs_with_entry):
    """Entry draws from a child generator: a comparison with and without entry is of the policy, not of luck."""
    for seed, with_entry in enumerate(runs_with_entry):
        without = run(scenario(**SMALL, simulation__seed=seed))
        first = first_entry(with_entry)
        a, b = with_entry.model_frame(), without.model_frame()
        same = slice(None) if first is None else slice(0, first - 1)
        assert np.allclose(a["hhi"].iloc[same], b["hhi"].iloc[same])
        assert (a["adopted_users"].iloc[same] == b["adopted_users"].iloc[same]).all()


def test_entrants_and_spin_offs_each_keep_to_their_own_slots():
    """With entry and divestiture both on, an entrant never takes a slot kept for a spin-off, nor the
    regulator an entrant's (issue 15, item 11: 5 entries with entry.entrants = 1 before)."""
    entered, split = [], []
    for seed in (0, 4):  # seed 0 splits platforms, seed 4 sees an entrant
        params = scenario(ROOT / "params" / "scenarios" / "divestiture.toml", users__count=2000, simulation__steps=150,
                          simulation__seed=seed, entry__entrants=1, entry__rate=1.0)
        economy = run(params)
        assert len(economy.funding.entries) <= params.entry.entrants
        entered += [economy.platforms[entry["platform"]] for entry in economy.funding.entries]
        split += [economy.platforms[deal["spin_off"]] for deal in economy.competition.divestitures]
    assert entered and split, "choose seeds where someone enters and a platform is split"
    assert all(p.kept_for == "entry" for p in entered)
    assert all(p.kept_for == "divestiture" for p in split)
