"""The schema and its docs: public (they hold no company's data), OpenAPI 3, and served without a CDN."""
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_with_the_api_key_scheme(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        **schema["components"]["securitySchemes"]["ApiKey"], "type": "apiKey", "in": "header", "name": "Authorization",
    }
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_every_post_documents_the_idempotency_key_and_its_422(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    posts = [op for item in schema["paths"].values() for method, op in item.items() if method == "post"]
    assert len(posts) >= 10
    for op in posts:
        assert "Idempotency-Key" in [p["name"] for p in op["parameters"]], op["operationId"]
        assert "422" in op["responses"], op["operationId"]


def test_the_docs_page_loads_its_scripts_from_this_site(client):
    page = client.get("/api/v1/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/") for s in sources), sources
