"""The OpenAPI schema is complete enough to write a client from: this one knows nothing of the API but the
schema it downloads (operation ids, paths, parameters, bodies, the security scheme), checks every body it
sends and every answer it gets against it, and creates, reads and approves a time entry over real HTTP."""
import copy

import pytest
import requests
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA_URI = "urn:grjobb-api-schema"


def json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema says it, so jsonschema can check answers with nulls."""
    if isinstance(node, list):
        return [json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


class SchemaClient:
    def __init__(self, base_url: str, schema: dict, api_key: str):
        self.base_url = base_url
        self.schema = schema
        self.operations = {
            op["operationId"]: (method.upper(), path, op)
            for path, item in schema["paths"].items() for method, op in item.items()
        }
        registry = Registry().with_resource(SCHEMA_URI, Resource.from_contents(json_schema(schema), DRAFT202012))
        self.validator = lambda ref: Draft202012Validator({"$ref": SCHEMA_URI + ref}, registry=registry)
        [(name, scheme)] = schema["components"]["securitySchemes"].items()
        assert scheme["type"] == "apiKey" and scheme["in"] == "header"
        self.session = requests.Session()
        self.session.headers[scheme["name"]] = f"Api-Key {api_key}"

    def request_properties(self, operation_id: str) -> tuple[set, set]:
        """(every property, the required ones) of the operation's JSON body."""
        _method, _path, op = self.operations[operation_id]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = self.schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return set(component["properties"]), set(component.get("required", []))

    def call(self, operation_id: str, *, path: dict | None = None, body: dict | None = None) -> dict:
        method, template, op = self.operations[operation_id]
        url = template
        for param in op.get("parameters", []):
            if param["in"] == "path":
                url = url.replace("{%s}" % param["name"], str(path[param["name"]]))
        assert "{" not in url, f"{operation_id}: a path parameter the schema does not list"
        if body is not None:
            properties, required = self.request_properties(operation_id)
            assert set(body) <= properties and required <= set(body), (operation_id, properties, required)
            schema_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            self.validator(schema_ref).validate(body)
        response = self.session.request(method, self.base_url + url, json=body, timeout=10)
        documented = op["responses"].get(str(response.status_code))
        assert documented is not None, f"{operation_id} answered {response.status_code}, which the schema does not list"
        assert response.status_code < 300, (operation_id, response.status_code, response.text)
        if "content" not in documented:
            return {}
        answer = response.json()
        self.validator(documented["content"]["application/json"]["schema"]["$ref"]).validate(answer)
        return answer


def test_a_client_from_the_schema_alone_creates_reads_and_approves_a_time_entry(world, live_server, key_a):
    ActivityFactory(tenant=world.a, name="Montering")
    schema = requests.get(f"{live_server.url}/api/v1/schema/", params={"format": "json"}, timeout=10).json()
    api = SchemaClient(live_server.url, copy.deepcopy(schema), key_a)

    [activity] = api.call("activities_list")["results"]
    employee = api.call("employees_create", body={"first_name": "Kari", "last_name": "Nordmann"})
    project = api.call("projects_create", body={"number": "100", "name": "Nybygg", "start_date": "2026-11-01"})
    entry = api.call("time_entries_create", body={
        "employee": employee["id"], "project": project["id"], "activity": activity["id"], "date": "2026-11-17",
        "hours": "7.5", "comment": "Montering",
    })
    assert entry["status"] == "draft"

    found = api.call("time_entries_retrieve", path={"entry_id": entry["id"]})
    assert (found["hours"], found["employee"]) == ("7.50", employee["id"])
    assert api.call("time_entries_submit", body={"ids": [entry["id"]]}) == {"count": 1}
    assert api.call("time_entries_approve", body={"ids": [entry["id"]]}) == {"count": 1}

    approved = api.call("time_entries_retrieve", path={"entry_id": entry["id"]})
    assert approved["status"] == "approved" and approved["transfer_state"] == "pending"
    assert [e["id"] for e in api.call("time_entries_list")["results"]] == [entry["id"]]
