"""Validation mode records bodies that do not match the spec."""


def test_validation_mode_records_invalid_request_body(api, fake_tripletex):
    fake_tripletex.clear_violations()
    api.post(api.base + "/employee", json={"firstName": ["not", "a", "string"], "lastName": 42})
    violations = fake_tripletex.violations()
    fake_tripletex.clear_violations()  # so the suite-wide check does not fail this test
    assert violations and violations[0]["direction"] == "request"
    assert {v["where"] for v in violations} >= {"firstName", "lastName"}


def test_valid_calls_record_no_violations(api, fake_tripletex):
    api.get(api.base + "/project", params={"fields": "*,projectManager(*)"})
    api.get(api.base + "/customer", params={"fields": "*,postalAddress(*)"})
    assert fake_tripletex.violations() == []
