"""What an export carries, whatever its format (STIX 2.1, MISP, hash lists): a group (a network, or a bank) with
its indicators and, optionally, its posts. Post text is filled in only when the user asked for content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TLP = ("clear", "white", "green", "amber", "red")


@dataclass(frozen=True, slots=True)
class SharedIndicator:
    kind: str  # phone | url | handle | account | payment | pdq | sha256 | video_md5
    value: str  # phone: E.164; account/handle: the login; payment: "iban:…", "btc:…", "card:1234"…;
    # pdq, sha256, video_md5: hex
    platform: str | None = None  # accounts: the platform (STIX account_type)
    user_id: str | None = None  # accounts: the platform's id for it
    first_seen: str | None = None
    last_seen: str | None = None
    posts: int = 0  # how many of the group's posts carry it


@dataclass(frozen=True, slots=True)
class SharedPost:
    platform: str
    post_id: str
    url: str | None
    account: str | None
    at: str | None
    text: str | None = None  # only with --include-content


@dataclass(frozen=True, slots=True)
class SharedGroup:
    key: str  # stable across exports: the same group gets the same STIX id
    name: str
    description: str
    indicators: tuple[SharedIndicator, ...]
    posts: tuple[SharedPost, ...] = ()
    first_seen: str | None = None
    last_seen: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)


def check_tlp(tlp: str) -> str:
    t = tlp.lower().removeprefix("tlp:")
    if t not in TLP:
        raise ValueError(f"TLP {tlp!r}: use one of {', '.join(TLP)}")
    return "white" if t == "clear" else t
