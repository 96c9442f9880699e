"""`reason-codes` lists the catalogue the API and the pages read, in the language asked for."""

from __future__ import annotations

from flask.testing import FlaskCliRunner


def test_reason_codes_lists_the_catalogue_in_the_language_asked(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["reason-codes", "--lang", "ru"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}
    assert lines["false_information"] == [
        "false_information",
        "suspend,revoke",
        "Представление недостоверных сведений для получения лицензии",
        "пункт 4 статьи 9 Закона Республики Казахстан «О цифровых активах в Республике Казахстан»",
    ]
    assert lines["court_order"][1] == "suspend,resume,revoke"
