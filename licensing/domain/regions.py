"""Kazakhstan's regions and cities of republican significance, as stable codes."""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "abai": "Abai Region",
    "akmola": "Akmola Region",
    "aktobe": "Aktobe Region",
    "almaty_region": "Almaty Region",
    "atyrau": "Atyrau Region",
    "east_kazakhstan": "East Kazakhstan Region",
    "jambyl": "Jambyl Region",
    "jetisu": "Jetisu Region",
    "karaganda": "Karaganda Region",
    "kostanay": "Kostanay Region",
    "kyzylorda": "Kyzylorda Region",
    "mangystau": "Mangystau Region",
    "north_kazakhstan": "North Kazakhstan Region",
    "pavlodar": "Pavlodar Region",
    "turkistan": "Turkistan Region",
    "ulytau": "Ulytau Region",
    "west_kazakhstan": "West Kazakhstan Region",
    "astana": "Astana",
    "almaty": "Almaty",
    "shymkent": "Shymkent",
}
