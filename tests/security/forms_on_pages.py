"""The forms a page offers, read from its HTML as a browser would: where each posts and the fields it sends."""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    values: list[str] = field(default_factory=list)  # the value(s) the page offers


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return self.method, self.action, tuple(sorted(self.fields))


class _Parser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self.form = Form(method=(a.get("method") or "get").lower(), action=urlsplit(action).path)
            self.forms.append(self.form)
        elif self.form is None or not a.get("name"):
            return
        elif tag in ("input", "button", "textarea", "select"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind in ("submit", "button") and tag == "button":
                kind = "submit"
            entry = self.form.fields.setdefault(a["name"], Field(a["name"], kind))
            if a.get("value") is not None:
                entry.values.append(a["value"])
            if tag == "select":
                self.select = entry
        elif tag == "option" and self.select is not None and a.get("value") is not None:
            self.select.values.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_on(page_url: str, html: str) -> list[Form]:
    parser = _Parser(page_url)
    parser.feed(html)
    return parser.forms
