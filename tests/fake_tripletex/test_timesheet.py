"""Timesheet entries: date filters, uniqueness, locked periods, batches, versions."""
import datetime as dt
import itertools

from .conftest import ids

_days = itertools.count()


def fresh_day():
    # Each test writes on its own dates so tests stay independent in the shared demo company.
    return dt.date(2031, 1, 1) + dt.timedelta(days=next(_days) * 3)


def entry(api, day, employee=0, hours=7.5, activity=0, **extra):
    emps = ids(api, "/employee")
    project = ids(api, "/project/>forTimeSheet")[0]
    acts = ids(api, "/activity", isProjectActivity="true")
    return {"employee": {"id": emps[employee]}, "project": {"id": project}, "activity": {"id": acts[activity]},
            "date": day.isoformat(), "hours": hours, **extra}


def test_get_requires_date_from_and_date_to(api):
    r = api.get(api.base + "/timesheet/entry")
    assert r.status_code == 422
    assert {m["field"] for m in r.json()["validationMessages"]} == {"dateFrom", "dateTo"}


def test_date_from_inclusive_date_to_exclusive(api):
    day = fresh_day()
    api.post(api.base + "/timesheet/entry/list", json=[entry(api, day), entry(api, day + dt.timedelta(1))])
    got = api.get(api.base + "/timesheet/entry", params={"dateFrom": day.isoformat(),
                                                          "dateTo": (day + dt.timedelta(1)).isoformat()}).json()
    assert [v["date"] for v in got["values"]] == [day.isoformat()]
    assert got["sumAllHours"] == 7.5


def test_employee_project_activity_filters(api):
    day = fresh_day()
    e0, e1 = entry(api, day, 0), entry(api, day, 1)
    api.post(api.base + "/timesheet/entry/list", json=[e0, e1])
    got = api.get(api.base + "/timesheet/entry", params={
        "dateFrom": day.isoformat(), "dateTo": (day + dt.timedelta(1)).isoformat(),
        "employeeId": e1["employee"]["id"], "projectId": e1["project"]["id"], "activityId": e1["activity"]["id"],
        "fields": "employee(id)"}).json()
    assert got["values"] == [{"employee": {"id": e1["employee"]["id"]}}]


def test_duplicate_employee_date_activity_project_is_409_code_14000(api):
    day = fresh_day()
    assert api.post(api.base + "/timesheet/entry", json=entry(api, day)).status_code == 201
    r = api.post(api.base + "/timesheet/entry", json=entry(api, day, hours=2))
    assert r.status_code == 409 and r.json()["code"] == 14000


def test_duplicate_status_can_be_switched_to_422(api, fake_tripletex):
    day = fresh_day()
    fake_tripletex.settings(duplicate_status=422)
    api.post(api.base + "/timesheet/entry", json=entry(api, day))
    assert api.post(api.base + "/timesheet/entry", json=entry(api, day)).status_code == 422


def test_batch_is_all_or_nothing_including_duplicates_inside_the_batch(api, fake_tripletex):
    day = fresh_day()
    before = len(fake_tripletex.objects(fake_tripletex.demo["id"], "timesheet_entry"))
    r = api.post(api.base + "/timesheet/entry/list", json=[entry(api, day, 2), entry(api, day, 3), entry(api, day, 2)])
    assert r.status_code == 409
    assert len(fake_tripletex.objects(fake_tripletex.demo["id"], "timesheet_entry")) == before


def test_batch_of_1000_entries_for_several_employees(api):
    day = fresh_day()
    emps = ids(api, "/employee")
    base = entry(api, day)
    body = [{**base, "employee": {"id": emps[i % len(emps)]},
             "date": (day + dt.timedelta(days=30 + i // len(emps))).isoformat()} for i in range(1000)]
    r = api.post(api.base + "/timesheet/entry/list", json=body)
    assert r.status_code == 201
    assert r.json()["count"] == 1000 == r.json()["fullResultSize"]


def test_put_and_delete_need_current_version(api):
    day = fresh_day()
    created = api.post(api.base + "/timesheet/entry", json=entry(api, day)).json()["value"]
    eid = created["id"]
    r = api.put(f"{api.base}/timesheet/entry/{eid}", json={"version": created["version"], "hours": 5})
    assert r.status_code == 200 and r.json()["value"]["hours"] == 5
    assert r.json()["value"]["version"] == created["version"] + 1
    r = api.delete(f"{api.base}/timesheet/entry/{eid}", params={"version": created["version"]})
    assert r.status_code == 409 and r.json()["code"] == 8000
    assert api.delete(f"{api.base}/timesheet/entry/{eid}", params={"version": created["version"] + 1}).status_code == 204


def test_put_list_updates_several_entries(api):
    day = fresh_day()
    made = api.post(api.base + "/timesheet/entry/list", json=[entry(api, day, 0), entry(api, day, 1)]).json()["values"]
    r = api.put(api.base + "/timesheet/entry/list",
                json=[{"id": v["id"], "version": v["version"], "hours": 1} for v in made])
    assert r.status_code == 200 and [v["hours"] for v in r.json()["values"]] == [1, 1]


def test_locked_period_refuses_create_update_delete_and_marks_entries_locked(api, fake_tripletex):
    day = fresh_day()
    cid = fake_tripletex.demo["id"]
    created = api.post(api.base + "/timesheet/entry", json=entry(api, day)).json()["value"]
    fake_tripletex.lock_period(cid, day, day)
    try:
        got = api.get(api.base + "/timesheet/entry", params={
            "dateFrom": day.isoformat(), "dateTo": (day + dt.timedelta(1)).isoformat(), "fields": "id,locked"}).json()
        assert got["values"] == [{"id": created["id"], "locked": True}]
        r = api.post(api.base + "/timesheet/entry", json=entry(api, day, 1))
        assert r.status_code == 422 and "låst" in r.json()["message"]
        r = api.put(f"{api.base}/timesheet/entry/{created['id']}", json={"hours": 1})
        assert r.status_code == 422
        assert api.delete(f"{api.base}/timesheet/entry/{created['id']}").status_code == 422
    finally:
        fake_tripletex.unlock_all(cid)


def test_locked_status_can_be_switched_to_423_code_10000(api, fake_tripletex):
    day = fresh_day()
    cid = fake_tripletex.demo["id"]
    created = api.post(api.base + "/timesheet/entry", json=entry(api, day)).json()["value"]
    fake_tripletex.lock_period(cid, day, day)
    fake_tripletex.settings(locked_status=423)
    try:
        r = api.post(api.base + "/timesheet/entry", json=entry(api, day, 1))
        assert r.status_code == 423 and r.json()["code"] == 10000
        r = api.put(f"{api.base}/timesheet/entry/{created['id']}", json={"version": created["version"], "hours": 1})
        assert r.status_code == 423
        assert api.delete(f"{api.base}/timesheet/entry/{created['id']}").status_code == 423
    finally:
        fake_tripletex.unlock_all(cid)


def test_locked_period_can_be_scoped_to_one_employee(api, fake_tripletex):
    day = fresh_day()
    cid = fake_tripletex.demo["id"]
    e0 = entry(api, day, 0)
    fake_tripletex.lock_period(cid, day, day, employee_id=e0["employee"]["id"])
    try:
        assert api.post(api.base + "/timesheet/entry", json=e0).status_code == 422
        assert api.post(api.base + "/timesheet/entry", json=entry(api, day, 1)).status_code == 201
    finally:
        fake_tripletex.unlock_all(cid)


def test_month_status_reports_approved_month(api, fake_tripletex):
    cid = fake_tripletex.demo["id"]
    emp = ids(api, "/employee")[0]
    fake_tripletex.lock_period(cid, "2031-11-01", "2031-11-30", employee_id=emp)
    try:
        body = api.get(api.base + "/timesheet/month/byMonthNumber",
                       params={"employeeIds": emp, "monthYear": "2031-11"}).json()
        assert body["values"][0]["approved"] is True
        body = api.get(api.base + "/timesheet/month/byMonthNumber",
                       params={"employeeIds": emp, "monthYear": "2031-12"}).json()
        assert body["values"][0]["approved"] is False
    finally:
        fake_tripletex.unlock_all(cid)


def test_salary_type_specification_create_and_duplicate(api):
    emp = ids(api, "/employee")[0]
    st = ids(api, "/salary/type", showInTimesheet="true")[0]
    body = {"employee": {"id": emp}, "salaryType": {"id": st}, "date": fresh_day().isoformat(), "count": 2.5,
            "description": "Overtid"}
    assert api.post(api.base + "/timesheet/salaryTypeSpecification", json=body).status_code == 201
    assert api.post(api.base + "/timesheet/salaryTypeSpecification", json=body).status_code == 409
    got = api.get(api.base + "/timesheet/salaryTypeSpecification", params={"employeeId": emp}).json()
    assert got["fullResultSize"] >= 1


def test_entries_on_closed_project_are_refused(api):
    closed = ids(api, "/project", isClosed="true")[0]
    body = entry(api, fresh_day())
    body["project"] = {"id": closed}
    assert api.post(api.base + "/timesheet/entry", json=body).status_code == 422


def test_project_and_activity_for_timesheet(api):
    projects = api.get(api.base + "/project/>forTimeSheet", params={"fields": "isClosed,startDate"}).json()["values"]
    assert projects and all(not p["isClosed"] and "startDate" in p for p in projects)
    acts = api.get(api.base + "/activity/%3EforTimeSheet",
                   params={"projectId": ids(api, "/project/>forTimeSheet")[0], "fields": "isProjectActivity,rate"})
    assert acts.status_code == 200 and all(a["isProjectActivity"] for a in acts.json()["values"])
