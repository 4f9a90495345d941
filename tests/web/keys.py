"""The keys the web tests sign in with, and the settings that configure them."""

import json

from service.access import hash_key

EAST, WEST = ("寿春镇", "城东村"), ("寿春镇", "城西村")
KEYS = {
    "east": ("village-east-9f2c7d1a", {"role": "village", "township": EAST[0], "village": EAST[1]}),
    "west": ("village-west-4b8e0c55", {"role": "village", "township": WEST[0], "village": WEST[1]}),
    "analyst": ("analyst-3d6a91f0", {"role": "analyst"}),
    "system": ("system-7c1e52b4", {"role": "system"}),
    "police": (
        "department-police-5e0a",
        {"role": "department", "department": "county_public_security"},
    ),
    "education": (
        "department-education-81f3",
        {"role": "department", "department": "county_education"},
    ),
}


def api_keys() -> list[dict]:
    return [{"sha256": hash_key(secret), **scope} for secret, scope in KEYS.values()]


def api_keys_env() -> str:
    return json.dumps(api_keys(), ensure_ascii=False)


def secret(name: str) -> str:
    return KEYS[name][0]
