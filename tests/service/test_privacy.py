"""No name or identity number in the logs of a run that sent them."""

import logging

from service.logs import RedactIdNumbers

NAME = "王小明"
ID_NUMBER = "11010519491231002X"
BAD_ID = "110105194912310021"


def test_logs_of_a_run_that_sent_personal_data_do_not_contain_it(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/v1/assessments", json={"category": "elder", "name": NAME, "id_number": ID_NUMBER})
    client.post("/v1/assessments", json={"category": "elder", "name": NAME, "id_number": BAD_ID})
    client.post(
        "/v1/assessments",
        json={"category": "elder", "name": NAME, "id_number": ID_NUMBER, "sex": "male"},
    )
    client.post(
        "/v1/assessments/batch",
        json={"records": [{"category": "child", "name": NAME, "id_number": BAD_ID}]},
    )
    assert caplog.records, "nothing was logged: the check would be empty"
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (NAME, ID_NUMBER, BAD_ID):
        assert secret not in text


def test_redaction_filter_masks_identity_numbers():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "person %s failed", (ID_NUMBER,), None
    )
    RedactIdNumbers().filter(record)
    assert record.getMessage() == "person 110105**********2X failed"


def test_assessment_never_echoes_name_or_id(client):
    body = client.post(
        "/v1/assessments", json={"category": "elder", "name": NAME, "id_number": ID_NUMBER}
    ).text
    assert NAME not in body and ID_NUMBER not in body
