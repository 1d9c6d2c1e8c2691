"""`POST /v1/assess`: one post or a batch of up to 1,000 → predictions (the same JSON as `scan`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from crossingwatch.core import Author, Post
from crossingwatch.web.api.common import detector
from crossingwatch.web.deps import allow

router = APIRouter(tags=["assess"])


class PostIn(BaseModel):
    id: str = Field(min_length=1, max_length=512)
    platform: str = Field(default="unknown", max_length=64)
    text: str = Field(default="", max_length=1_000_000)
    url: str | None = None
    lang: str | None = None
    author: dict[str, str | None] | None = None


class Batch(BaseModel):
    posts: list[PostIn] = Field(min_length=1, max_length=1000)


@router.post("/assess", dependencies=[allow("analyst", "reviewer", "platform")])
def assess_posts(request: Request, body: Annotated[Batch | PostIn, Body()]) -> dict[str, Any]:
    """Assess one post (`{"id", "text", …}`) or a batch (`{"posts": [...]}`, at most 1,000)."""
    posts_in = body.posts if isinstance(body, Batch) else [body]
    posts = [Post(id=p.id, text=p.text, platform=p.platform, url=p.url, lang_hint=p.lang,
                  author=Author(**(p.author or {}))) for p in posts_in]
    predictions = [a.to_prediction() for a in detector(request).assess(posts)]
    return {"predictions": predictions}
