"""Follow-up tasks on the store (SQLite and, where configured, PostgreSQL): created with a
review, updated with optimistic locking, escalated at read time, carried over."""

import threading

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.task_tables import Task, TaskEvent
from service import task_store
from service import tasks as tk
from service.access import hash_key
from service.review import review
from service.settings import ApiKey
from service.store import person_key, save_review
from tests.service.test_store import ELDER_A, ELDER_B, engine  # noqa: F401  (fixture)

SECRET = b"test-secret"
CHILD = "340422201603150032"
COLUMNS = [
    "类别",
    "身份证号码",
    "父亲状况",
    "母亲状况",
    "实际监护人",
    "监护能力",
    "脱离监护单独居住",
]
COLUMNS += ["外出流浪乞讨", "自理能力", "年收入（元）"]
ALONE = ["儿童", CHILD, "外出务工", "外出务工", "无", "无", "是", "", "", ""]
WITH_GRANDPARENTS = ["儿童", CHILD, "外出务工", "外出务工", "祖父母", "完全", "否", "", "", ""]
BEGGING = ["老人", ELDER_A, "", "", "", "", "", "是", "", ""]
ELDER_FINE = ["老人", ELDER_A, "", "", "", "", "", "否", "自理", "30000"]
HOUR = 3600


def key(role, **division):
    return ApiKey(sha256=hash_key(f"k-{role}-{division}"), role=role, **division)


SYSTEM = key("system")
ANALYST = key("analyst")
EAST = key("village", township="寿春镇", village="城东村")
WEST = key("village", township="寿春镇", village="城西村")
POLICE = key("department", department="county_public_security")
SCHOOL_EAST = key("department", department="school", township="寿春镇")
SCHOOL_ELSEWHERE = key("department", department="school", township="双桥镇")
TOWNSHIP = key("department", department="township_government", township="寿春镇")
CIVIL = key("department", department="county_civil_affairs")
COURT = key("department", department="people_court")


@pytest.fixture(scope="module")
def rules(ruleset):
    return tk.TaskRules.build(ruleset)


def store(engine, assessor, rows, period="2026Q4", village="城东村"):  # noqa: F811
    frame = pd.DataFrame(rows, columns=COLUMNS)
    result = review(frame, assessor, township="寿春镇", village=village, period=period)
    counts = task_store.TaskCounts()
    stored, _ = save_review(engine, result, assessor.ruleset, SECRET, task_counts=counts)
    return stored, counts, result


def all_tasks(engine, caller, rules, now_ts, **filters):  # noqa: F811
    with Session(engine) as session:
        found = tk.iter_tasks(
            session, caller, rules, now_ts=now_ts, filters=tk.TaskFilters(**filters)
        )
        return list(found)


def test_a_review_creates_the_emergency_tasks(engine, assessor, rules):  # noqa: F811
    stored, counts, result = store(engine, assessor, [ALONE, BEGGING])
    created = int(stored.created_at.timestamp())
    expected = sum(len(p.interventions) for p in result.assessed.patterns)
    assert counts.created == expected > 10
    found = {t["action"]: t for t in all_tasks(engine, SYSTEM, rules, created)}
    assert len(found) == expected  # one task per (person, action)
    police = found["report_to_police"]
    assert police["department"] == "county_public_security" and police["clause"] == "3.1.4"
    assert set(police["cooperating"]) == {  # the bodies 3.1.4 obliges to report
        "village_committee",
        "school",
        "medical_institution",
        "rescue_institution",
        "welfare_institution",
    }
    assert police["due_at"] == police["created_at"] == tk.iso(created)  # 第一时间: due at once
    assert police["status"] == "open" and police["risk_level"] == "critical"
    assert police["person_key"] == person_key(SECRET, CHILD) and police["row"] == 2
    township = found["notify_township"]
    assert township["deadline_hours"] == 24 and township["due_at"] == tk.iso(created + 24 * HOUR)
    assert township["deadline_class"] == "within_1_day"
    evaluation = found["child_evaluation_services"]
    assert evaluation["department"] == "township_government" and evaluation["clause"] == "3.1.6"
    assert found["elder_emergency_report"]["person_key"] == person_key(SECRET, ELDER_A)
    with Session(engine) as session:
        stored_text = str(session.connection().execute(sa.select(Task.__table__)).all())
    assert CHILD not in stored_text and ELDER_A not in stored_text


def test_tasks_roll_back_with_a_failed_review(engine, assessor, monkeypatch):  # noqa: F811
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(task_store, "_follow_up", broken)
    store(engine, assessor, [ALONE], period="2026Q3")
    with pytest.raises(RuntimeError, match="disk full"):
        store(engine, assessor, [ALONE], period="2026Q4")  # carry-over fails mid-write
    with Session(engine) as session:
        reviews = session.connection().execute(sa.text("SELECT count(*) FROM review")).scalar()
        tasks = session.connection().execute(sa.text("SELECT DISTINCT review_id FROM task"))
        assert reviews == 1 and len(tasks.all()) == 1


def _police_task(engine, rules, now_ts):  # noqa: F811
    (task,) = [
        t for t in all_tasks(engine, SYSTEM, rules, now_ts) if t["action"] == "report_to_police"
    ]
    return task


def test_a_stale_update_is_a_conflict_and_nothing_is_lost(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    t0 = int(stored.created_at.timestamp())
    task = _police_task(engine, rules, t0)
    with Session(engine) as session:
        first = tk.update_task(
            session,
            POLICE,
            rules,
            task["id"],
            status="in_progress",
            note="已出警",
            version=task["version"],
            now_ts=t0 + 60,
        )
    with Session(engine) as session, pytest.raises(tk.TaskConflict) as conflict:
        tk.update_task(
            session,
            EAST,
            rules,
            task["id"],
            status="done",
            note="村里已处理",
            version=task["version"],
            now_ts=t0 + 61,
        )
    assert conflict.value.current_version == first["version"] == task["version"] + 1
    with Session(engine) as session:
        again = tk.update_task(
            session,
            EAST,
            rules,
            task["id"],
            status="done",
            note="村里已处理",
            version=conflict.value.current_version,
            now_ts=t0 + 62,
        )
    assert again["stored_status"] == "done" and again["closed_at"] == tk.iso(t0 + 62)
    assert [(e["from_status"], e["to_status"], e["note"], e["role"]) for e in again["history"]] == [
        ("open", "in_progress", "已出警", "department"),
        ("in_progress", "done", "村里已处理", "village"),
    ]
    assert again["history"][0]["actor"] == POLICE.key_id
    with Session(engine) as session:
        noted = tk.update_task(
            session, EAST, rules, task["id"], status="done", note="回访：已安置",
            version=again["version"], now_ts=t0 + 3600,
        )  # fmt: skip
    assert noted["closed_at"] == tk.iso(t0 + 62) and noted["version"] == again["version"] + 1
    assert noted["history"][-1]["kind"] == "note" and noted["history"][-1]["note"] == "回访：已安置"


def test_two_concurrent_updates_one_wins_one_conflicts(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    t0 = int(stored.created_at.timestamp())
    task = _police_task(engine, rules, t0)
    barrier, outcomes = threading.Barrier(2), []

    def change(caller, status):
        with Session(engine) as session:
            barrier.wait()
            try:
                tk.update_task(
                    session,
                    caller,
                    rules,
                    task["id"],
                    status=status,
                    note=status,
                    version=task["version"],
                    now_ts=t0 + 5,
                )
                outcomes.append(("ok", status))
            except tk.TaskConflict:
                outcomes.append(("conflict", status))

    threads = [
        threading.Thread(target=change, args=(POLICE, "in_progress")),
        threading.Thread(target=change, args=(EAST, "done")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o for o, _ in outcomes) == ["conflict", "ok"]
    winner = next(s for o, s in outcomes if o == "ok")
    with Session(engine) as session:
        after = tk.get_task(session, SYSTEM, rules, task["id"], now_ts=t0 + 6)
    assert after["stored_status"] == winner and after["version"] == task["version"] + 1
    assert [e["to_status"] for e in after["history"]] == [winner]


def test_bad_changes_name_the_field(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    t0 = int(stored.created_at.timestamp())
    task = _police_task(engine, rules, t0)
    cases = [
        (SYSTEM, {"status": "escalated"}, tk.TaskInvalid, "status"),
        (SYSTEM, {"status": "finished"}, tk.TaskInvalid, "status"),
        (SYSTEM, {"status": "not_needed", "note": "  "}, tk.TaskInvalid, "note"),
        (SYSTEM, {"status": "open"}, tk.TaskInvalid, "status"),  # already open, no note
        (SYSTEM, {"status": "done", "note": "x" * 2001}, tk.TaskInvalid, "note"),
        (ANALYST, {"status": "done"}, tk.TaskForbidden, None),
        (WEST, {"status": "done"}, tk.TaskNotFound, None),
        (COURT, {"status": "done"}, tk.TaskNotFound, None),
    ]
    for caller, change, error, field_name in cases:
        with Session(engine) as session, pytest.raises(error) as raised:
            tk.update_task(
                session, caller, rules, task["id"], version=task["version"], now_ts=t0, **change
            )
        if field_name:
            assert raised.value.field == field_name
    with Session(engine) as session:
        after = tk.get_task(session, SYSTEM, rules, task["id"], now_ts=t0)
        not_needed = tk.update_task(
            session,
            SYSTEM,
            rules,
            task["id"],
            status="not_needed",
            note="重复登记",
            version=task["version"],
            now_ts=t0,
        )
    assert after["version"] == task["version"] and after["history"] == []
    assert not_needed["reason"] == "重复登记" and not_needed["stored_status"] == "not_needed"


def test_scope_village_and_department_keys(engine, assessor, rules):  # noqa: F811
    store(engine, assessor, [ALONE], village="城东村")
    west, _, _ = store(engine, assessor, [BEGGING], village="城西村")
    t0 = int(west.created_at.timestamp())
    everything = all_tasks(engine, ANALYST, rules, t0)
    by_village = {
        v: {t["id"] for t in everything if t["village"] == v} for v in ("城东村", "城西村")
    }
    assert {t["id"] for t in all_tasks(engine, EAST, rules, t0)} == by_village["城东村"]
    assert {t["id"] for t in all_tasks(engine, WEST, rules, t0)} == by_village["城西村"]
    for caller in (POLICE, SCHOOL_EAST, SCHOOL_ELSEWHERE, COURT, CIVIL):
        department = caller.department
        expected = {
            t["id"]
            for t in everything
            if (t["department"] == department or department in t["cooperating"])
            and (caller.township in (None, t["township"]))
        }
        seen = {t["id"] for t in all_tasks(engine, caller, rules, t0)}
        assert seen == expected, department
        for task in everything:
            if task["id"] in expected:
                continue
            with Session(engine) as session, pytest.raises(tk.TaskNotFound):
                tk.get_task(session, caller, rules, task["id"], now_ts=t0)
    assert {t["action"] for t in all_tasks(engine, SCHOOL_EAST, rules, t0)} >= {"report_to_police"}
    assert all_tasks(engine, SCHOOL_ELSEWHERE, rules, t0) == []
    filtered = all_tasks(engine, ANALYST, rules, t0, department="school")
    assert {t["id"] for t in filtered} == {
        t["id"] for t in all_tasks(engine, SCHOOL_EAST, rules, t0)
    }


def test_escalation_at_the_boundaries_of_each_delay(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    due = int(stored.created_at.timestamp())  # report_to_police: due at once
    task_id = _police_task(engine, rules, due)["id"]
    esc = rules.at(due)
    assert (esc.township_after_s, esc.county_after_s) == (24 * HOUR, 48 * HOUR)
    township, county = due + 24 * HOUR, due + 72 * HOUR
    expected = [
        (due, "open", False, None),
        (due + 1, "open", True, None),
        (township - 1, "open", True, None),
        (township, "escalated", True, "township_government"),
        (county - 1, "escalated", True, "township_government"),
        (county, "escalated", True, "county_civil_affairs"),
    ]
    for now_ts, status, overdue, to in expected:
        with Session(engine) as session:
            task = tk.get_task(session, SYSTEM, rules, task_id, now_ts=now_ts)
            flagged = tk.flagged_villages(session, ANALYST, rules, now_ts=now_ts)
        assert (task["status"], task["overdue"], task["escalated_to"]) == (status, overdue, to)
        assert [f["village"] for f in flagged] == (["城东村"] if overdue else [])
        escalated = {t["id"] for t in all_tasks(engine, ANALYST, rules, now_ts, status="escalated")}
        assert (task_id in escalated) == (to is not None)
        # the escalated-to department sees the task from that moment on, not before
        civil = {t["id"] for t in all_tasks(engine, CIVIL, rules, now_ts)}
        assert (task_id in civil) == (to == "county_civil_affairs")
        with Session(engine) as session:
            if to == "county_civil_affairs":
                assert tk.get_task(session, CIVIL, rules, task_id, now_ts=now_ts)["id"] == task_id
            else:
                with pytest.raises(tk.TaskNotFound):
                    tk.get_task(session, CIVIL, rules, task_id, now_ts=now_ts)
    overdue = all_tasks(engine, POLICE, rules, township, overdue=True)
    assert task_id in {t["id"] for t in overdue} and all(t["overdue"] for t in overdue)
    assert all(not t["overdue"] for t in all_tasks(engine, POLICE, rules, township, overdue=False))


def test_a_done_task_is_never_escalated(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    due = int(stored.created_at.timestamp())
    task = _police_task(engine, rules, due)
    with Session(engine) as session:
        tk.update_task(
            session,
            POLICE,
            rules,
            task["id"],
            status="done",
            version=task["version"],
            now_ts=due + 2 * HOUR,
        )
        later = tk.get_task(session, SYSTEM, rules, task["id"], now_ts=due + 100 * HOUR)
        flagged = tk.flagged_villages(session, ANALYST, rules, now_ts=due + 100 * HOUR)
    assert (later["status"], later["overdue"], later["escalated_to"]) == ("done", False, None)
    assert all(f["overdue_critical"] < 20 for f in flagged)


def test_next_quarter_carries_over_and_resolves(engine, assessor, rules):  # noqa: F811
    q3, _, _ = store(engine, assessor, [ALONE, BEGGING], period="2026Q3")
    t3 = int(q3.created_at.timestamp())
    before = {(t["person_key"], t["action"]): t for t in all_tasks(engine, SYSTEM, rules, t3)}
    police = before[(person_key(SECRET, CHILD), "report_to_police")]
    with Session(engine) as session:
        tk.update_task(
            session,
            POLICE,
            rules,
            police["id"],
            status="in_progress",
            note="调查中",
            version=police["version"],
            now_ts=t3 + 10,
        )
    # next quarter: the child still lives alone, the elder no longer begs, a new elder begs
    newcomer = ["老人", ELDER_B, "", "", "", "", "", "是", "", ""]
    q4, second, result = store(engine, assessor, [ALONE, ELDER_FINE, newcomer], period="2026Q4")
    t4 = int(q4.created_at.timestamp())
    child_actions = {a for k, a in before if k == person_key(SECRET, CHILD)}
    elder_before = {a for k, a in before if k == person_key(SECRET, ELDER_A)}
    elder_now = {
        i["action"] for i in result.assessed.patterns[result.assessed.pattern[1]].interventions
    }
    assert second.carried_over == len(child_actions) + len(elder_before & elder_now)
    assert second.resolved_by_review == len(elder_before - elder_now) > 0
    active = all_tasks(engine, SYSTEM, rules, t4)
    pairs = [(t["person_key"], t["action"]) for t in active]
    assert len(pairs) == len(set(pairs))  # linked, not duplicated
    carried = {t["id"]: t for t in active if t["review_id"] == q3.id}
    assert police["id"] in carried and carried[police["id"]]["last_review_id"] == q4.id
    assert carried[police["id"]]["stored_status"] == "in_progress"  # the work done is kept
    with Session(engine) as session:
        history = tk.get_task(session, SYSTEM, rules, police["id"], now_ts=t4)["history"]
        gone = before[(person_key(SECRET, ELDER_A), "elder_emergency_report")]
        closed = tk.get_task(session, SYSTEM, rules, gone["id"], now_ts=t4)
    assert [e["kind"] for e in history] == ["status", "carried_over"]
    assert history[1]["review_id"] == q4.id
    assert closed["stored_status"] == "resolved_by_review" == closed["status"]
    assert closed["resolved_by_review"] == q4.id and closed["closed_at"] == tk.iso(t4)
    assert closed["history"][-1]["from_status"] == "open"
    assert closed["history"][-1]["to_status"] == "resolved_by_review"
    newcomer_tasks = [t for t in active if t["person_key"] == person_key(SECRET, ELDER_B)]
    assert newcomer_tasks and all(t["review_id"] == q4.id for t in newcomer_tasks)
    assert second.created == len(newcomer_tasks) + len(elder_now - elder_before)
    assert {t["id"] for t in all_tasks(engine, SYSTEM, rules, t4, review=q4.id)} == {
        t["id"] for t in active
    }


def test_lists_page_in_due_order(engine, assessor, rules):  # noqa: F811
    stored, counts, _ = store(engine, assessor, [ALONE, BEGGING])
    t0 = int(stored.created_at.timestamp())
    seen, after = [], None
    with Session(engine) as session:
        while True:
            page = tk.list_tasks(session, EAST, rules, now_ts=t0, limit=3, after=after)
            seen += page.items
            if page.next is None:
                break
            after = page.next
        with pytest.raises(tk.TaskInvalid) as bad:
            tk.list_tasks(session, EAST, rules, now_ts=t0, after="1;drop table task")
        with pytest.raises(tk.TaskInvalid):
            tk.list_tasks(session, EAST, rules, now_ts=t0, limit=0)
    assert bad.value.field == "after"
    assert len(seen) == len({t["id"] for t in seen}) == counts.created
    assert [t["due_at"] for t in seen] == sorted(t["due_at"] for t in seen)


def test_history_rows_are_only_added(engine, assessor, rules):  # noqa: F811
    stored, _, _ = store(engine, assessor, [ALONE])
    t0 = int(stored.created_at.timestamp())
    task = _police_task(engine, rules, t0)
    with Session(engine) as session:
        for version, status in enumerate(("in_progress", "open", "done"), start=task["version"]):
            tk.update_task(
                session, SYSTEM, rules, task["id"], status=status, version=version, now_ts=t0
            )
        events = session.connection().execute(sa.select(TaskEvent.__table__)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("open", "in_progress"),
        ("in_progress", "open"),
        ("open", "done"),
    ]


def test_odd_characters_survive_the_bulk_write(engine, assessor, rules):  # noqa: F811
    frame = pd.DataFrame([[*ALONE, "A\tB\\C\nD"]], columns=[*COLUMNS, "编号"])
    result = review(frame, assessor, township="寿春镇", village="O'Brien\t村", period="2026Q4")
    stored, _ = save_review(engine, result, assessor.ruleset, SECRET)
    t0 = int(stored.created_at.timestamp())
    found = all_tasks(engine, SYSTEM, rules, t0)
    assert found and {(t["person_id"], t["village"]) for t in found} == {
        ("A\tB\\C\nD", "O'Brien\t村")
    }


def test_supervision_on_time_late_overdue_and_median(engine, assessor, rules):  # noqa: F811
    from service.supervision import supervision

    stored, _, _ = store(engine, assessor, [ALONE, BEGGING])
    t0 = int(stored.created_at.timestamp())
    tasks = {t["action"]: t for t in all_tasks(engine, SYSTEM, rules, t0)}
    with Session(engine) as session:
        for action, at in (("notify_township", t0 + HOUR), ("report_to_police", t0 + 2 * HOUR)):
            task = tasks[action]  # due in 24 h: on time; due at once: late
            tk.update_task(
                session, POLICE, rules, task["id"], status="done", version=task["version"],
                now_ts=at,
            )  # fmt: skip
        report = supervision(session, ANALYST, rules, now_ts=t0 + 30 * HOUR, period="2026Q4")
        mine = supervision(session, WEST, rules, now_ts=t0 + 30 * HOUR)
    police = next(r for r in report["by_department"] if r["department"] == "county_public_security")
    active = [
        t
        for t in tasks.values()
        if t["department"] == "county_public_security"
        and t["action"] not in ("notify_township", "report_to_police")
    ]
    assert (police["done_on_time"], police["done_late"]) == (1, 1)
    assert police["median_hours_to_done"] == 1.5
    assert police["open"] == police["overdue"] == len(active) > 0  # every one is past due by now
    immediate = sum(t["deadline_hours"] == 0 for t in active)
    assert police["overdue_by_deadline"]["immediate"] == immediate
    assert police["overdue_critical"] == len(active)  # the child is critical
    assert report["total"] == len(tasks)
    assert sum(
        r["open"] + r["done_on_time"] + r["done_late"] for r in report["by_township"]
    ) == len(tasks)
    assert [v["village"] for v in report["villages_with_overdue_critical"]] == ["城东村"]
    assert mine["total"] == 0 and mine["villages_with_overdue_critical"] == []


def test_templates_are_made_once_and_expanded_person_by_person():
    """The tasks of a piece, as columns: person by person in sheet order, each person's
    in its pattern's intervention order; a template made once however many patterns
    carry it; patterns numbered as the review numbers them (service.review.Patterns)."""
    from types import SimpleNamespace

    def intervention(action, hours, cooperating=()):
        return {
            "action": action,
            "department": "dept",
            "cooperating": list(cooperating),
            "clause": "§1",
            "deadline_hours": hours,
        }

    visit, report = intervention("visit", 72, ["school"]), intervention("report", 24)
    templates = task_store.Templates(created_ts=1000)
    rows = templates.add([(0, SimpleNamespace(interventions=[visit, report]))])
    rows += templates.add(
        [(1, SimpleNamespace(interventions=[])), (2, SimpleNamespace(interventions=[dict(report)]))]
    )
    assert rows == [  # the task_template rows: (pattern, position, *template)
        (0, 0, "visit", "dept", ",school,", "§1", 72, 1000 + 72 * HOUR),
        (0, 1, "report", "dept", "", "§1", 24, 1000 + 24 * HOUR),
        (2, 0, "report", "dept", "", "§1", 24, 1000 + 24 * HOUR),
    ]
    assert templates.distinct == [
        ("visit", "dept", ",school,", "§1", 72, 1000 + 72 * HOUR),
        ("report", "dept", "", "§1", 24, 1000 + 24 * HOUR),
    ]
    person, template, position = templates.expand([2, 0, 1, 0])
    assert person.tolist() == [0, 1, 1, 3, 3]
    assert template.tolist() == [1, 0, 1, 0, 1]
    assert position.tolist() == [0, 0, 1, 0, 1]
    assert templates.count([2, 0, 1, 0]) == 5
    with pytest.raises(ValueError, match="out of turn"):
        templates.add([(5, SimpleNamespace(interventions=[visit]))])
