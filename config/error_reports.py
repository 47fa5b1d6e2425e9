"""What an error report (Django's 500 page while developing, an e-mail to the admins) may show of a failure."""
import re

from django.views.debug import SafeExceptionReporterFilter

# Code that holds a company's Tripletex keys in its variables as a matter of course: its request URLs carry
# the consumer and employee tokens in the query string (Tripletex's design), its client keeps them.
_HOLDS_KEYS = ("integrations.tripletex", "requests", "urllib3")


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and more: Django hides variables only in functions marked `sensitive_variables`;
    here a variable whose name says it holds a secret is hidden in every frame, and every variable of the
    code that handles Tripletex's keys, so a key pasted into the wizard never reaches a report."""

    hidden_settings = re.compile("API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|CREDENTIAL|HTTP_COOKIE", flags=re.I)

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        module = tb_frame.f_globals.get("__name__", "")
        if module.startswith(_HOLDS_KEYS):
            return [(name, self.cleansed_substitute) for name, _value in variables]
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in variables
        ]
