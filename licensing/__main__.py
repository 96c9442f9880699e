"""The `licensing` console script (and `python -m licensing`): the same commands as
`flask --app licensing`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from licensing import create_app


def main() -> None:
    FlaskGroup(create_app=create_app)(prog_name="licensing")


if __name__ == "__main__":
    main()
