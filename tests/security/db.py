"""What the database holds, as one comparable value: "changes nothing" is `everything()` before == after."""
from django.apps import apps

OURS = ("tenants", "hr", "integrations", "wizard", "commerce", "api")


# Counts of calls made to Tripletex, not anything a user stored: a refused action may still have asked
# Tripletex a harmless question (a connector's requirements check) and been counted.
NOT_DATA = {"integrations.RateBudget"}


def everything() -> dict[str, list[tuple]]:
    """Every row of our models, as sorted (field, value) tuples per model."""
    return {
        model._meta.label: sorted((tuple(sorted(row.items())) for row in model._base_manager.values()), key=repr)
        for model in apps.get_models() if model._meta.app_label in OURS and model._meta.label not in NOT_DATA
    }


def of_company(rows: dict[str, list[tuple]], tenant) -> dict[str, list[tuple]]:
    """The rows of `everything()` that are `tenant`'s own, and the company itself."""
    def own(label, row):
        fields = dict(row)
        return fields.get("tenant_id") == tenant.id or (label == "tenants.Tenant" and fields["id"] == tenant.id)

    return {label: [row for row in table if own(label, row)] for label, table in rows.items()}
