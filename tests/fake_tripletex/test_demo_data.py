"""The demo company has the data the product's rules need, the same on every run."""
import time

from .conftest import ids


def values(api, path, **params):
    return api.get(api.base + path, params={"count": 10000, **params}).json()["values"]


def test_demo_has_at_least_40_employees_with_the_awkward_cases(api):
    employees = values(api, "/employee", fields="id,lastName,employeeNumber,employments(endDate)")
    assert len(employees) >= 40
    assert any("lastName" not in e for e in employees)
    assert any("employeeNumber" not in e for e in employees)
    assert any(any("endDate" in emp for emp in e["employments"]) for e in employees)


def test_demo_projects_cover_sub_internal_closed_and_missing_start(api):
    projects = values(api, "/project", fields="number,mainProject,isInternal,isClosed,startDate,projectManager")
    assert len(projects) >= 15
    assert any("mainProject" in p for p in projects)
    assert any(p["isInternal"] for p in projects)
    assert any(p["isClosed"] for p in projects)
    assert any("startDate" not in p for p in projects)
    assert all("projectManager" in p for p in projects)


def test_demo_wage_types_include_hidden_and_inactive(api):
    all_types = values(api, "/salary/type", fields="id,showInTimesheet")
    assert len(all_types) == 8
    assert any(not t["showInTimesheet"] for t in all_types)
    active = values(api, "/salary/type", isInactive="false")
    assert 0 < len(active) < len(all_types)


def test_demo_activities_customers_suppliers_products_accounts_payment_types(api):
    assert any(a.get("rate", 0) > 0 for a in values(api, "/activity", fields="rate"))
    customers = values(api, "/customer", fields="isInactive")
    assert len(customers) >= 20 and any(c["isInactive"] for c in customers)
    assert values(api, "/supplier") and values(api, "/product")
    assert [a["number"] for a in values(api, "/ledger/account", number="1920", fields="number")] == [1920]
    assert values(api, "/invoice/paymentType")


def test_demo_tokens_for_both_applications(fake_tripletex):
    assert set(fake_tripletex.demo["employee_tokens"]) == {"GrønnJobb", "Annen app"}
    assert fake_tripletex.demo["name"] == "Demo AS"


def test_generated_company_sizes_are_honoured_quickly(fake_tripletex):
    t = time.perf_counter()
    company = fake_tripletex.create_company("Stor Bedrift AS", employees=10000, projects=5000, wage_types=300,
                                            customers=50, suppliers=5, products=20, activities=10)
    assert time.perf_counter() - t < 5
    s = fake_tripletex.session(employee_token=company["employee_tokens"]["GrønnJobb"])
    base = fake_tripletex.base_url
    assert s.get(base + "/employee", params={"count": 1}).json()["fullResultSize"] == 10000
    assert s.get(base + "/project", params={"count": 1}).json()["fullResultSize"] == 5000
    assert s.get(base + "/salary/type", params={"count": 1}).json()["fullResultSize"] == 300


def test_companies_are_isolated(api, fake_tripletex):
    company = fake_tripletex.create_company("Liten AS", employees=3)
    s = fake_tripletex.session(employee_token=company["employee_tokens"]["GrønnJobb"])
    theirs = set(ids(type("S", (), {"get": s.get, "base": fake_tripletex.base_url})(), "/employee"))
    ours = set(ids(api, "/employee"))
    assert len(theirs) == 3 and not theirs & ours
    eid = next(iter(ours))
    assert s.get(f"{fake_tripletex.base_url}/employee/{eid}").status_code == 404
