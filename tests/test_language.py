from django.urls import reverse


def test_norwegian_is_the_default_even_when_the_browser_asks_for_english(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="nb"' in page and "Logg inn" in page


def test_english_is_available_through_the_language_switch(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_every_norwegian_text_has_an_english_translation():
    """A new string without a translation would show Norwegian to an English user; keep the .po complete."""
    from pathlib import Path

    po = (Path(__file__).resolve().parent.parent / "locale/en/LC_MESSAGES/django.po").read_text()
    entries = [block for block in po.split("\n\n") if "\nmsgid " in "\n" + block and 'msgid ""\nmsgstr ""\n"' not in block]
    untranslated = [b for b in entries if 'msgstr ""' in b.split("\n")[-1] or 'msgstr[0] ""' in b]
    assert untranslated == []
