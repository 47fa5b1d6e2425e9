def test_whoami_returns_demo_company(fake_tripletex):
    s = fake_tripletex.session()
    r = s.get(f"{fake_tripletex.base_url}/token/session/>whoAmI", params={"fields": "*,company(*),employee(*)"})
    assert r.status_code == 200
    assert r.json()["value"]["company"]["name"] == "Demo AS"
