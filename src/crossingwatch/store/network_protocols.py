"""Narrow store protocols and records for campaigns and networks (kept apart from `protocols.py`, which holds the
scan, bank, case and user stores). `SqlStore` implements them through `network_sql.NetworkSql`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Key = tuple[str, str]  # (platform, post_id)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    size: int
    template: dict[str, Any]
    first_at: str | None
    last_at: str | None
    merged_into: int | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class NetworkInput:
    """One assessed post, with everything that can tie it to others."""

    platform: str
    post_id: str
    url: str | None
    account: str | None  # author id, else handle
    handle: str | None
    at: str | None  # created_at, else first seen
    media: list[dict[str, Any]]
    label: str
    prediction: dict[str, Any]
    campaign: int | None

    @property
    def key(self) -> Key:
        return (self.platform, self.post_id)


@dataclass(frozen=True, slots=True)
class NetworkRow:
    id: int
    active: bool
    rank: int
    score: float
    posts: int
    accounts: int
    platforms: int
    confirmed: int
    first_at: str | None
    last_at: str | None
    summary: dict[str, Any]
    built_at: str


class CampaignStore(Protocol):
    def unsigned_posts(self, limit: int = 10_000) -> list[tuple[str, str, str]]: ...
    def add_signatures(self, rows: Sequence[tuple[str, str, bytes, bool]]) -> None: ...
    def load_signatures(self) -> tuple[list[Key], list[bytes], list[bool], list[int | None]]: ...
    def add_campaign(self, size: int, template: dict[str, Any], first_at: str | None,
                     last_at: str | None) -> int: ...
    def update_campaign(self, campaign_id: int, **values: Any) -> None: ...
    def set_post_campaigns(self, assignments: Sequence[tuple[Key, int]]) -> None: ...
    def get_campaign(self, campaign_id: int) -> CampaignRow: ...
    def list_campaigns(self, min_size: int = 2, limit: int = 100, offset: int = 0) -> list[CampaignRow]: ...
    def campaign_post_keys(self, campaign_id: int) -> list[Key]: ...
    def find_post_texts(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str | None]]: ...


class NetworkStore(Protocol):
    def iter_network_inputs(self, keys: Sequence[Key] | None = None) -> Iterator[NetworkInput]: ...
    def case_of_posts(self, keys: Sequence[Key]) -> dict[Key, int]: ...
    def find_networks_of_posts(self, keys: Sequence[Key]) -> dict[Key, int]: ...
    def get_campaign(self, campaign_id: int) -> CampaignRow: ...
    def confirmed_advert_posts(self) -> set[Key]: ...
    def network_of_posts(self) -> dict[Key, int]: ...
    def replace_networks(self, networks: Sequence[dict[str, Any]]) -> list[int]: ...
    def list_networks(self, min_size: int = 2, limit: int = 100, offset: int = 0) -> list[NetworkRow]: ...
    def count_networks(self, min_size: int = 2) -> int: ...
    def get_network(self, network_id: int) -> NetworkRow: ...
    def network_post_keys(self, network_id: int, limit: int | None = None, offset: int = 0,
                          step: int = 1) -> list[Key]: ...
    def network_indicators(self, network_id: int) -> list[tuple[str, str, int, int]]: ...
    def find_post_texts(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str | None]]: ...
