"""The public pages: search, register, a licence, about, verify; what a reader sees on each."""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient

from tests.factories import issue
from tests.web.conftest import page

RU = {"Accept-Language": "ru"}


def test_the_home_page_explains_the_register_and_offers_one_search_box(
    client: FlaskClient,
) -> None:
    text = page(client, "/", **RU).text
    assert '<html lang="ru">' in text
    assert "Реестр лицензий на цифровой майнинг" in text
    assert text.count('type="search"') == 1


def test_a_licence_number_in_the_search_box_opens_its_page(
    client: FlaskClient, suspended: str
) -> None:
    response = client.get("/", query_string={"q": f" {suspended.lower()} "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/licences/{suspended}"


def test_a_name_in_the_search_box_searches_the_register(
    client: FlaskClient, suspended: str, in_force: str
) -> None:
    response = client.get("/", query_string={"q": "степной"})
    assert response.status_code == 303
    text = page(client, response.headers["Location"], **RU).text
    assert suspended in text
    assert in_force not in text
    assert "Найдена 1 лицензия" in text


def test_the_register_filters_by_region_subtype_and_standing(
    client: FlaskClient, suspended: str, in_force: str
) -> None:
    def numbers(**query: str) -> list[str]:
        text = page(client, "/register?" + "&".join(f"{k}={v}" for k, v in query.items())).text
        return re.findall(r">(DM-\d{4}-\d+)</a>", text)

    assert numbers() == [suspended, in_force]
    assert numbers(region="almaty") == [in_force]
    assert numbers(subtype="I") == [suspended]
    assert numbers(standing="suspended") == [suspended]
    assert numbers(standing="in_force", region="almaty", subtype="II") == [in_force]
    assert numbers(sort="-number") == [in_force, suspended]
    assert numbers(region="atlantis", standing="<b>", sort="x") == [suspended, in_force]


def test_the_register_pages_through_many_licences(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    for _ in range(21):
        issue(client, regulator)
    first = page(client, "/register?sort=number", **RU).text
    assert "Страница 1 из 2" in first
    assert 'rel="next" href="/register?page=2&amp;sort=number"' in first
    second = page(client, "/register?page=2&sort=number").text
    assert len(re.findall(r">(DM-\d{4}-\d+)</a>", second)) == 1
    assert page(client, "/register?page=banana").status_code == 200


def test_the_register_downloads_as_csv_with_formulas_disarmed(
    client: FlaskClient, regulator: dict[str, str], in_force: str
) -> None:
    issue(client, regulator, holder_name='=HYPERLINK("http://x","y")')
    response = client.get("/register.csv?region=pavlodar")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row["holder_name"] for row in rows] == ['\'=HYPERLINK("http://x","y")']
    assert rows[0]["standing"] == "in_force"
    assert rows[0]["region"] == "pavlodar"


def test_a_licence_page_shows_standing_in_words_and_colour_and_a_qr_code(
    client: FlaskClient, suspended: str
) -> None:
    text = page(client, f"/licences/{suspended}", **RU).text
    assert 'class="badge badge-warn">Приостановлена</span>' in text
    assert "Действие приостановлено до 10 мая 2026\u202fг." in text
    assert "Павлодарская область" in text
    assert "ТОО «Степной Хеш»" in text
    assert f'<img class="qr" src="/licences/{suspended}/qr.svg" width="164" height="164"' in text
    kk = page(client, f"/licences/{suspended}", **{"Accept-Language": "kk"}).text
    assert "Тоқтатыла тұрған" in kk
    assert "Павлодар облысы" in kk


def test_the_about_page_draws_the_lifecycle(client: FlaskClient) -> None:
    text = page(client, "/about", **RU).text
    assert '<svg class="lifecycle"' in text
    assert "193-VII" in text


def test_the_verify_page_offers_a_form_with_a_token(client: FlaskClient) -> None:
    text = page(client, "/verify").text
    assert 'method="post"' in text
    assert re.search(r'name="csrf_token" value="[^"]+"', text)


def test_every_page_links_a_stylesheet_that_is_served(client: FlaskClient) -> None:
    text = page(client, "/").text
    href = re.search(r'<link rel="stylesheet" href="([^"]+)">', text).group(1)  # type: ignore[union-attr]
    with client.get(href) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert b".badge" in response.data


def test_a_licence_page_shows_its_public_timeline_without_who_or_which_request(
    client: FlaskClient, suspended: str
) -> None:
    text = page(client, f"/licences/{suspended}", **RU).text
    history = text[text.index('class="timeline"') :]
    assert "Приостановление" in history
    assert "Выдача" in history
    assert "Выявлено нарушение требований законодательства о цифровых активах" in history
    assert "пункт" in history or "статья 9" in history
    assert "Закон РК «О цифровых активах», ст. 9" in history  # the basis as recorded
    assert "Приказ лицензиара от 10 марта 2026\u202fг. № 17-ЛЦ/2026" in history
    assert "Потребление сверх квоты" not in history  # the free-text reason stays in the trail
    assert "regulator-" not in history
    assert "request" not in history


def test_the_about_page_lists_the_grounds_with_their_articles(client: FlaskClient) -> None:
    text = page(client, "/about", **{"Accept-Language": "kk"}).text
    assert "Заңды күшіне енген сот шешімі" in text
    assert "9-бабы" in text


def test_the_register_order_control_shows_the_order_the_rows_are_in(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    later = issue(client, regulator, issued_on="2026-03-01")["number"]
    earlier = issue(client, regulator, issued_on="2025-06-01")["number"]  # entered second

    def shown(query: str, language: str) -> tuple[list[str], list[str]]:
        text = page(client, "/register" + query, **{"Accept-Language": language}).text
        order = text.split('<select id="sort"', 1)[1].split("</select>", 1)[0]
        return re.findall(r">(DM-\d{4}-\d+)</a>", text), re.findall(r"selected>([^<]+)<", order)

    assert shown("", "en") == ([later, earlier], ["Order of entry in the register"])
    assert shown("", "ru") == ([later, earlier], ["В порядке внесения в реестр"])
    assert shown("?sort=", "kk") == ([later, earlier], ["Тізілімге енгізілу ретімен"])
    assert shown("?sort=number", "en") == ([earlier, later], ["Number, ascending"])
    assert shown("?sort=-issued_on", "en") == ([later, earlier], ["Issue date, newest first"])
