"""Batches: every record scored or rejected with its index; large batches run column-wise."""

from fixtures.generate import generate
from models.assessment import Assessment
from models.person import PERSON_ADAPTER
from service.batch import VECTORIZED_FROM, score_records


def test_large_batch_uses_the_vectorized_path_and_matches_single_assessments(assessor):
    records = generate(300, seed=11)
    records[7] = {"category": "child", "id_number": "110105194912310021"}
    records[150] = {"category": "elder", "age": "old"}
    assert len(records) >= VECTORIZED_FROM
    result = score_records(records, assessor)
    assert (result.received, result.scored, result.rejected) == (300, 298, 2)
    assert [item.index for item in result.results] == list(range(300))
    assert result.results[7].errors[0].loc[-1] == "id_number"
    assert result.results[150].errors[0].loc[-1] == "age"
    for record, item in zip(records, result.results, strict=True):
        if item.assessment is None:
            continue
        single = assessor.assess(PERSON_ADAPTER.validate_python(record))
        assert item.assessment.model_dump(exclude={"assessment_id"}) == single.model_dump(
            exclude={"assessment_id"}
        )


def test_small_batch_matches_too(assessor):
    """Below VECTORIZED_FROM the batch runs durable_rules per person; the column-wise
    path on the same records must give the same whole assessments, so where the
    threshold lies never changes an answer."""
    records = generate(40, seed=12)
    result = score_records(records, assessor)
    assert result.scored == 40 < VECTORIZED_FROM
    persons = [PERSON_ADAPTER.validate_python(r) for r in records]
    column_wise = assessor.assess_many(persons)
    for person, item, many in zip(persons, result.results, column_wise, strict=True):
        single = assessor.assess(person).model_dump(exclude={"assessment_id"})
        assert item.assessment.model_dump(exclude={"assessment_id"}) == single
        assert Assessment.model_validate(many).model_dump(exclude={"assessment_id"}) == single
