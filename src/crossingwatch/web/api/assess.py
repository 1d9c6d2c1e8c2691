"""`POST /v1/assess`: one post or a batch of up to 1,000 → predictions (the same JSON as `scan`)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from crossingwatch.core import Author, Post
from crossingwatch.web.api.common import detector
from crossingwatch.web.deps import allow

router = APIRouter(tags=["assess"])


class AuthorIn(BaseModel):
    id: str | None = Field(default=None, max_length=512)
    handle: str | None = Field(default=None, max_length=512)
    name: str | None = Field(default=None, max_length=512)


class PostIn(BaseModel):
    id: str = Field(min_length=1, max_length=512)
    platform: str = Field(default="unknown", max_length=64)
    text: str = Field(default="", max_length=1_000_000)
    url: str | None = None
    lang: str | None = None
    author: AuthorIn | None = None


class Batch(BaseModel):
    posts: list[PostIn] = Field(min_length=1, max_length=1000)


@router.post("/assess", dependencies=[allow("analyst", "reviewer", "platform")], response_model=None,
             responses={200: {"description": '{"predictions": [...]}: the same JSON as `crossingwatch scan` writes'}})
async def assess_posts(request: Request, body: Annotated[Batch | PostIn, Body()]) -> Response:
    """Assess one post (`{"id", "text", …}`) or a batch (`{"posts": [...]}`, at most 1,000)."""
    # On the event loop, not in a thread: the work is CPU-bound Python, which the GIL runs one at a time anyway,
    # and a thread hop per request costs about a millisecond. More throughput comes from `serve --workers`.
    posts_in = body.posts if isinstance(body, Batch) else [body]
    posts = [Post(id=p.id, text=p.text, platform=p.platform, url=p.url, lang_hint=p.lang,
                  author=Author(**(p.author.model_dump() if p.author else {}))) for p in posts_in]
    predictions = [a.to_prediction() for a in detector(request).assess(posts)]
    # Serialised here: the predictions are plain JSON already, and the generic encoder would walk them again.
    return Response(json.dumps({"predictions": predictions}, ensure_ascii=False), media_type="application/json")
