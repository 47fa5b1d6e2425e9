from django.urls import reverse


def test_norwegian_is_the_default_even_when_the_browser_asks_for_english(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="nb"' in page and "Logg inn" in page


def test_english_is_available_through_the_language_switch(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page
