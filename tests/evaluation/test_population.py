"""The synthetic population: reproducible, valid, correlated, with a share of unknowns."""

import numpy as np
import pandas as pd

from fixtures.population import UNKNOWN_SHARE, population, records
from models.person import INPUT_MODELS, PERSON_ADAPTER

N = 20_000


def frame(seed=0, unknown_share=UNKNOWN_SHARE):
    return population(N, seed=seed, outcomes=True, unknown_share=unknown_share)


def test_same_seed_same_people_and_outcomes():
    pd.testing.assert_frame_equal(
        population(2000, seed=3, outcomes=True), population(2000, seed=3, outcomes=True)
    )
    assert not population(2000, seed=3, outcomes=True).equals(
        population(2000, seed=4, outcomes=True)
    )


def test_every_child_and_elder_field_is_present_and_every_row_validates():
    people = population(3000, seed=1)
    for category in ("child", "elder"):
        missing = set(INPUT_MODELS[category].model_fields) - set(people.columns)
        assert missing <= {"id_number", "name", "birth_date"}, missing
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(people)]
    assert {p.category for p in persons} == {"child", "elder"}
    assert "outcome" not in records(population(10, seed=0, outcomes=True))[0]


def test_a_share_of_values_is_unknown():
    people = frame()
    assert abs(people["disability"].isna().mean() - UNKNOWN_SHARE) < 0.01
    assert people["age"].notna().all() and people["township"].notna().all()
    assert population(2000, seed=0, unknown_share=0)["disability"].notna().all()


def test_fields_are_correlated_as_documented():
    people = frame(unknown_share=0)
    income = people["household_income_per_capita"].astype(float)
    poor = people["registered_poor"].astype(bool)
    assert income[poor].median() < 0.7 * income[~poor].median()
    children = people[people["category"] == "child"]
    guardian_age = children["guardian_age"].astype(float)
    assert guardian_age[children["guardian_type"] == "grandparent"].min() >= 50
    assert guardian_age[children["guardian_type"] == "parent"].max() <= 50
    both_away = (children["father_status"] == "migrant") & (children["mother_status"] == "migrant")
    assert (children.loc[both_away, "guardian_type"] != "parent").all()
    away_share = (
        both_away.sum()
        / (
            (children["father_status"] == "migrant") | (children["mother_status"] == "migrant")
        ).sum()
    )
    assert 0.35 < away_share < 0.55  # about the ACWF 2013 figure (46.74 %)
    elders = people[people["category"] == "elder"]
    dependent = elders["self_care"] != "full"
    assert dependent[elders["age"] >= 85].mean() > 2 * dependent[elders["age"] < 70].mean()
    assert (
        elders["children_away_count"].astype(float) <= elders["children_count"].astype(float)
    ).all()


def test_outcome_follows_the_documented_latent_risk():
    people = frame(unknown_share=0)
    assert 0.04 < people["outcome"].mean() < 0.12
    children = people[people["category"] == "child"]
    both_away = (children["father_status"] == "migrant") & (children["mother_status"] == "migrant")
    old = children["guardian_age"].astype(float) >= 70
    rate = children.groupby([both_away, old])["outcome"].mean()
    assert rate[(True, True)] > 1.5 * rate[(True, False)]  # the interaction the rules do not test
    elders = people[people["category"] == "elder"]
    lonely = (elders["living_arrangement"] == "alone") & (elders["self_care"] != "full")
    assert elders.loc[lonely, "outcome"].mean() > 2 * elders.loc[~lonely, "outcome"].mean()
    assert np.isin(people["outcome"].unique(), [0, 1]).all()
