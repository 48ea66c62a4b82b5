"""The Swedish catalogue is complete, keeps every placeholder, and is what the pages show.

Swedish is the portal's primary language, so an untranslated or fuzzy entry, or a placeholder lost
in translation, is a defect: the page would fall back to English or fail to fill in a value.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from markupsafe import escape

CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "app" / "translations" / "sv" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "messages.po"
MO_FILE = CATALOGUE_DIR / "messages.mo"

# A %-conversion as Python's %-formatting reads it: %(name)s, %d, %.2f ... but not a literal %%.
PLACEHOLDER = re.compile(r"%%|%(?:\(\w+\))?[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")

# Texts of the front page, looked up in the catalogue so the check follows the wording.
FRONT_PAGE_TEXTS = (
    "Your rights to your personal data",
    "Start: confirm your e-mail address",
    "Send link and code",
    "Skip to content",
)

# Texts of the staff sign-in page, which is shown before anyone is signed in.
STAFF_LOGIN_TEXTS = (
    "Sign in to case handling",
    "Case handling",
    "Forgotten your password or lost your phone? Ask an administrator to reset your account.",
)

# One Swedish name for each thing: words a translation must not use, and the word it uses instead.
AVOIDED_TERMS = {
    "dataskyddsombud": "dataskyddsansvarig (the privacy officer decides; an Art. 37 DPO would not)",
    "integritetsansvarig": "dataskyddsansvarig",
    "internt anteckning": "intern anteckning",
    "granskningsspår": "granskningslogg",
    "revisionslogg": "granskningslogg",
}


def placeholders(text: str) -> set[str]:
    return {found for found in PLACEHOLDER.findall(text) if found != "%%"}


def forms(string: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A translation as a tuple of its forms: one, or one per plural form."""
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def is_translated(message: Message) -> bool:
    return all(form and form.strip() for form in forms(message.string))


def describe(message: Message) -> str:
    source = message.id[0] if isinstance(message.id, tuple) else message.id
    return repr(source[:70])


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle, locale="sv")


@pytest.fixture(scope="module")
def messages(catalogue: Catalog) -> list[Message]:
    return [message for message in catalogue if message.id]


class TestSwedishCatalogue:
    def test_catalogue_has_messages(self, messages: list[Message]) -> None:
        assert len(messages) > 100

    def test_every_message_is_translated(self, messages: list[Message]) -> None:
        untranslated = [describe(message) for message in messages if not is_translated(message)]
        assert not untranslated, "untranslated in messages.po:\n" + "\n".join(untranslated)

    def test_every_plural_has_both_swedish_forms(self, messages: list[Message]) -> None:
        wrong = [
            describe(message)
            for message in messages
            if message.pluralizable
            and not (isinstance(message.string, tuple) and len(message.string) == 2)
        ]
        assert not wrong, "plural entries without exactly two forms:\n" + "\n".join(wrong)

    def test_no_translation_is_marked_fuzzy(self, messages: list[Message]) -> None:
        fuzzy = [describe(message) for message in messages if message.fuzzy]
        assert not fuzzy, "fuzzy entries (review, then drop the flag):\n" + "\n".join(fuzzy)

    def test_translations_keep_exactly_the_placeholders_of_the_source(
        self, messages: list[Message]
    ) -> None:
        wrong = [
            f"{describe(message)}: {sorted(placeholders(message.string))}"
            f" != {sorted(placeholders(message.id))}"
            for message in messages
            if not message.pluralizable and placeholders(message.string) != placeholders(message.id)
        ]
        assert not wrong, "placeholders changed in translation:\n" + "\n".join(wrong)

    def test_plural_forms_keep_the_placeholders_of_their_source_forms(
        self, messages: list[Message]
    ) -> None:
        # Swedish uses form 0 for exactly one and form 1 otherwise, like English: form 0 answers
        # to the msgid (and may lack %(num)d only where the msgid does), form 1 to msgid_plural.
        wrong = []
        for message in (m for m in messages if m.pluralizable):
            singular, plural = message.id
            forms = message.string
            if placeholders(forms[0]) != placeholders(singular):
                wrong.append(f"{describe(message)} msgstr[0]: {forms[0]!r}")
            if placeholders(forms[-1]) != placeholders(plural):
                wrong.append(f"{describe(message)} msgstr[1]: {forms[-1]!r}")
        assert not wrong, "plural placeholders changed in translation:\n" + "\n".join(wrong)

    def test_compiled_catalogue_holds_every_translation(self, messages: list[Message]) -> None:
        assert MO_FILE.exists(), "no compiled catalogue: run `make translations`"
        with MO_FILE.open("rb") as handle:
            compiled = read_mo(handle)
        stale = [
            describe(message)
            for message in messages
            if (found := compiled.get(message.id)) is None
            or forms(found.string) != forms(message.string)
        ]
        assert not stale, "messages.mo is older than messages.po: run `make translations`\n" + (
            "\n".join(stale)
        )

    def test_article_citations_are_lower_case_in_swedish(self, messages: list[Message]) -> None:
        # Swedish cites "art. 17 GDPR" in lower case, as the entry "Art. %(number)s GDPR" does.
        wrong = [
            describe(message)
            for message in messages
            if any(re.search(r"\bArt\.", form) for form in forms(message.string))
        ]
        assert not wrong, 'article cited as "Art." in Swedish:\n' + "\n".join(wrong)

    def test_one_term_for_each_thing(self, messages: list[Message]) -> None:
        wrong = [
            f"{describe(message)}: {term!r}, use {instead}"
            for message in messages
            for term, instead in AVOIDED_TERMS.items()
            if any(term in form.casefold() for form in forms(message.string))
        ]
        assert not wrong, "terms outside the glossary:\n" + "\n".join(wrong)


class TestPagesUseTheCatalogue:
    def test_front_page_is_in_swedish_by_default(
        self, client: FlaskClient, catalogue: Catalog
    ) -> None:
        page = client.get("/")
        html = page.get_data(as_text=True)

        assert page.status_code == 200
        assert 'lang="sv"' in html
        for source in FRONT_PAGE_TEXTS:
            swedish = catalogue.get(source).string
            assert str(escape(swedish)) in html, f"{swedish!r} missing from the Swedish page"
            assert str(escape(source)) not in html, f"{source!r} left in English"

    def test_front_page_answers_in_english_once_the_person_chooses_english(
        self, client: FlaskClient, catalogue: Catalog
    ) -> None:
        client.get("/language/en?next=/")
        page = client.get("/")
        html = page.get_data(as_text=True)

        assert page.status_code == 200
        assert 'lang="en"' in html
        for source in FRONT_PAGE_TEXTS:
            assert str(escape(source)) in html, f"{source!r} missing from the English page"
            assert str(escape(catalogue.get(source).string)) not in html

    def test_staff_sign_in_is_in_swedish_by_default(
        self, client: FlaskClient, catalogue: Catalog
    ) -> None:
        page = client.get("/staff/login")
        html = page.get_data(as_text=True)

        assert page.status_code == 200
        assert 'lang="sv"' in html
        for source in STAFF_LOGIN_TEXTS:
            swedish = catalogue.get(source).string
            assert str(escape(swedish)) in html, f"{swedish!r} missing from the Swedish page"
            assert str(escape(source)) not in html, f"{source!r} left in English"
