"""The batch function (service.bulk.score_piece): pieces of a sheet scored one by one give
what the whole review gives, person by person, and every row is scored or rejected."""

from pathlib import Path

import orjson
import pandas as pd

from models.sheets.files import load_sheet, sheet_chunks
from service.bulk import RESULT_COLUMNS, rejected_frame, results_frame, score_piece
from service.review import review

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
PLACE = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


def test_pieces_equal_the_whole_review_person_by_person(assessor, tmp_path):
    from fixtures.population import population, with_identities
    from tests.models.test_sheet_bulk import as_sheet

    frame = as_sheet(with_identities(population(1500, seed=7), seed=7))
    frame.iat[900, frame.columns.get_loc("age")] = "abc"  # a bad cell in the second piece
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    whole = review(load_sheet(path.read_bytes(), path.name), assessor, **PLACE)
    first, results, rejected = 0, [], []
    for cells in sheet_chunks(path, path.name, rows=400):
        piece = score_piece(cells, assessor.ruleset, assessor.model, first=first)
        assert piece.rows_in == piece.scored + sum(p.rows for p in piece.rejected)
        first += piece.rows_in
        results.append(results_frame(piece))
        rejected += piece.rejected
    out = pd.concat(results, ignore_index=True)
    assert list(out.columns) == RESULT_COLUMNS and first == 1500
    assert [p.row for p in rejected] == [902]  # sheet row: header is row 1
    assert out["row"].tolist() == whole.people["row"].tolist()
    assert out["risk_level"].tolist() == whole.levels.tolist()
    for i in range(whole.scored):
        kept = whole.assessment(i)
        assert out["score"][i] == kept["score"]
        assert orjson.loads(out["rule_ids"][i]) == kept["rule_ids"]
        assert orjson.loads(out["interventions"][i]) == kept["interventions"]
        assert orjson.loads(out["data_gaps"][i]) == kept["data_gaps"]


def test_results_carry_policy_outcomes_and_no_personal_data(assessor):
    piece = score_piece(load_sheet(MESSY.read_bytes(), MESSY.name), assessor.ruleset)
    out = results_frame(piece)
    assert not {"name", "id_number"} & set(out.columns)
    names = {n for n in piece.people["name"] if n}
    assert names and not names & set(out["name_masked"])
    critical = out[out["risk_level"] == "critical"]
    assert len(critical)  # the messy sheet has children in danger
    for text in critical["interventions"]:
        first = orjson.loads(text)[0]  # the most urgent action leads, with its clause
        assert first["deadline_hours"] <= 24 and first["clause"]
    problems = rejected_frame(piece.rejected)
    assert problems["row"].tolist() == sorted(problems["row"])
    assert all(problems["reason"].str.len() > 0)
