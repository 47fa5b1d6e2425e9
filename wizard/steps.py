"""The wizard's steps, in order. Each knows its slug, its title and whether the admin may open it yet."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from integrations.connectors import activation

from .models import Draft


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    kind: str | None = None  # the list this step chooses from

    def available(self, draft: Draft | None) -> bool:
        if self.slug == TOKEN:
            return True
        return draft is not None and draft.token_checked


TOKEN, FINISH = "api-nokkel", "ferdigstill"

STEPS = [
    Step(TOKEN, _("API-nøkkel")),
    Step("prosjekter", _("Prosjekter"), activation.PROJECT),
    Step("lonnsarter", _("Lønnsarter"), activation.WAGE_TYPE),
    Step("ansatte", _("Ansatte"), activation.EMPLOYEE),
    Step(FINISH, _("Ferdigstill")),
]
BY_SLUG = {s.slug: s for s in STEPS}
BY_KIND = {s.kind: s for s in STEPS if s.kind}


def neighbours(step: Step) -> tuple[Step | None, Step | None]:
    i = STEPS.index(step)
    return (STEPS[i - 1] if i > 0 else None, STEPS[i + 1] if i + 1 < len(STEPS) else None)
