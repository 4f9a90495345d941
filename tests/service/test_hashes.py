"""Keyed hashes and fingerprints, against answers computed outside the code under test.

The person key must be an HMAC under the configured secret: an unkeyed sha256 of an
18-digit number can be brute-forced. Each other hash is checked against a published
test vector or an independent computation with hashlib.
"""

import hashlib
import hmac
import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.access import hash_key
from service.app import create_app
from service.cli import app as cli
from service.settings import ApiKey, Settings
from service.store import person_key, person_keys

ROOT = Path(__file__).resolve().parents[2]
MESSY = ROOT / "fixtures" / "sheets" / "messy_village.csv"
NUMBER = "340422201603150032"  # row 2 of messy_village.csv, the critical child
SECRET = b"known-answer-secret"
# hmac.new(SECRET, NUMBER.encode(), hashlib.sha256).hexdigest(), computed once
KNOWN_KEY = "3f391b56332a6fcedbc70e662e6757ca215d9337fb26edf017d98fdb1825f63e"
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2


def test_person_key_known_answers():
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?"
    rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert person_key(b"Jefe", "what do ya want for nothing?") == rfc
    assert person_key(SECRET, NUMBER) == KNOWN_KEY
    assert hmac.new(SECRET, NUMBER.encode(), hashlib.sha256).hexdigest() == KNOWN_KEY
    assert person_keys(SECRET, [NUMBER, None, "", NUMBER]) == [KNOWN_KEY, None, None, KNOWN_KEY]


def test_person_keys_are_the_hmac_whatever_the_secret_length():
    # person_keys sets HMAC up itself (inner and outer states): the key's padding, and a
    # key longer than SHA-256's 64-byte block hashed first (RFC 4231, test case 6)
    case6 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    text = "Test Using Larger Than Block-Size Key - Hash Key First"
    assert person_key(b"\xaa" * 131, text) == case6
    numbers = [NUMBER, "11010519491231002X", "编号-7", None, "", NUMBER]
    for secret in (b"", b"k" * 63, b"k" * 64, b"k" * 65, bytes(range(256))):
        expected = [
            hmac.new(secret, n.encode(), hashlib.sha256).hexdigest() if n else None for n in numbers
        ]
        assert person_keys(secret, numbers) == expected


def test_another_secret_gives_another_key_and_no_key_is_the_plain_hash():
    other = person_key(b"another-secret", NUMBER)
    assert other == hmac.new(b"another-secret", NUMBER.encode(), hashlib.sha256).hexdigest()
    assert other != KNOWN_KEY
    assert hashlib.sha256(NUMBER.encode()).hexdigest() not in (other, KNOWN_KEY)


def _stored_key(tmp_path, assessor, secret: str) -> str:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/{secret}.db", person_key_secret=secret)
    with TestClient(create_app(settings, assessor=assessor)) as client:
        files = {"file": ("people.csv", MESSY.read_bytes(), "text/csv")}
        form = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}
        review = client.post("/v1/reviews", data=form, files=files).json()["review"]
        records = client.get(f"/v1/reviews/{review['id']}/records").json()
    (child,) = [r for r in records if r["row"] == 2]
    return child["person_key"]


def test_the_store_keys_people_with_the_configured_secret(tmp_path, assessor):
    assert _stored_key(tmp_path, assessor, SECRET.decode()) == KNOWN_KEY
    other = _stored_key(tmp_path, assessor, "another-secret")
    assert other == person_key(b"another-secret", NUMBER) != KNOWN_KEY


def test_api_keys_are_configured_by_their_sha256(tmp_path, assessor):
    assert hash_key("abc") == ABC_SHA256
    printed = CliRunner().invoke(cli, ["keys", "hash", "abc"])
    assert printed.exit_code == 0 and printed.output.strip() == ABC_SHA256
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/k.db",
        api_keys=[ApiKey(sha256=ABC_SHA256, role="analyst")],
    )
    with TestClient(create_app(settings, assessor=assessor)) as client:
        assert client.get("/v1/reviews/1", headers={"X-API-Key": "abc"}).status_code == 404
        assert client.get("/v1/reviews/1", headers={"X-API-Key": "abd"}).status_code == 401
        assert client.get("/v1/reviews/1", headers={"X-API-Key": ABC_SHA256}).status_code == 401


def test_ruleset_sha256_is_the_digest_of_its_data_files(ruleset):
    data = ROOT / "rules" / "data"
    digest = hashlib.sha256()
    for path in sorted(p for p in data.rglob("*") if p.suffix in (".yaml", ".md")):
        digest.update(
            path.relative_to(data).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
        )
    assert ruleset.sha256 == digest.hexdigest()


def test_population_and_file_fingerprints(tmp_path, ruleset):
    from evaluation import cohort, train
    from models.person import PERSON_ADAPTER
    from models.sheets import labelled as sheet_input

    person = PERSON_ADAPTER.validate_python({"category": "elder", "age": 70})
    assert cohort.from_persons([person], ruleset, source=b"abc").sha256 == ABC_SHA256
    same = cohort.from_persons([person], ruleset).sha256
    assert same == cohort.from_persons([person], ruleset).sha256 != ""
    older = PERSON_ADAPTER.validate_python({"category": "elder", "age": 71})
    assert cohort.from_persons([older], ruleset).sha256 != same
    assert sheet_input.read(MESSY).sha256 == hashlib.sha256(MESSY.read_bytes()).hexdigest()
    text = json.dumps(["d" * 64, 0, {"a": 1}], sort_keys=True, default=str)
    expected = "1." + hashlib.sha256(text.encode()).hexdigest()[:10]
    assert train._version("d" * 64, 0, {"a": 1}) == expected


def test_feature_schema_sha256():
    from evaluation import features

    text = json.dumps(features.schema(), ensure_ascii=False)
    assert features.schema_sha256() == hashlib.sha256(text.encode()).hexdigest()
