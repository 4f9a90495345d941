"""A small model trained once per session on the synthetic population (a few seconds)."""

import pytest

from evaluation import artifact
from evaluation.dataset import from_persons
from evaluation.train import train
from fixtures.population import population, records
from models.person import PERSON_ADAPTER

SMALL = 6000


def dataset_of(frame, assessor):
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(frame)]
    return from_persons(persons, frame["outcome"].to_numpy(), assessor, sha256="test")


@pytest.fixture(scope="session")
def small_data(assessor):
    return dataset_of(population(SMALL, seed=5, outcomes=True), assessor)


@pytest.fixture(scope="session")
def trained(small_data):
    return train(small_data, seed=0, max_iter=60)


@pytest.fixture(scope="session")
def model_file(trained, small_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.skops"
    artifact.save(trained.estimator, trained.metadata, small_data.X, path)
    return path
