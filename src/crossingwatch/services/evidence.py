"""Evidence preservation (Berkeley Protocol habits): when a post becomes part of a case, its original record, its
text and its media files are copied into a content-addressed store (`objects/ab/abcdef…`, named by SHA-256, written
once, never modified), with capture time (UTC), source URL and collector recorded. Working copies go elsewhere.

`export_bundle` writes a case's evidence as a folder a court can verify with standard tools: the files, a
`manifest.json` (what each file is, where and when it was captured, by whom) and `SHA256SUMS` (`sha256sum -c`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from crossingwatch.core import Post
from crossingwatch.core.events import utcnow
from crossingwatch.store.protocols import Case, EvidenceFile, EvidenceStore, StoredAssessment


class EvidenceVault:
    def __init__(self, root: Path, store: EvidenceStore, collector: str = "crossingwatch") -> None:
        self.root = root
        self.store = store
        self.collector = collector

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def _keep(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.object_path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.chmod(tmp, 0o444)  # originals are read-only
            tmp.replace(path)
        return sha

    def preserve(self, case: Case, post: Post, assessment: StoredAssessment) -> None:
        """Keep the post's record (as stored, with the detector's prediction), its text and its media files."""
        captured = utcnow()
        record = {"platform": post.platform, "id": post.id, "url": post.url, "created_at": post.created_at,
                  "author": asdict(post.author), "text": post.text, "media": [m.to_dict() for m in post.media],
                  "extra": post.extra, "prediction": assessment.prediction, "captured_at": captured}
        parts: list[tuple[str, str, bytes]] = [
            ("record", "record.json", json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode()),
            ("text", "text.txt", post.text.encode("utf-8")),
        ]
        for n, m in enumerate(post.media):
            if m.path and Path(m.path).is_file():
                parts.append(("media", f"media-{n}{Path(m.path).suffix.lower()}", Path(m.path).read_bytes()))
        for kind, name, data in parts:
            sha = self._keep(data)
            self.store.add_evidence_file(EvidenceFile(case.id, post.platform, post.id, kind, name, sha, len(data),
                                                      captured, post.url, self.collector))

    def export_bundle(self, case_id: int, out: Path) -> Path:
        """Copy the case's evidence into `out` with a manifest and checksums; returns the manifest's path."""
        files = self.store.list_evidence(case_id)
        if not files:
            raise FileNotFoundError(f"case {case_id} has no preserved evidence")
        out.mkdir(parents=True, exist_ok=True)
        sums, entries = [], []
        for f in files:
            rel = Path(f"{f.platform}_{_safe(f.post_id)}") / f.name
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            source = self.object_path(f.sha256)
            if hashlib.sha256(source.read_bytes()).hexdigest() != f.sha256:
                raise ValueError(f"evidence object {f.sha256} no longer matches its hash: the store was tampered with")
            shutil.copyfile(source, target)
            sums.append(f"{f.sha256}  {rel.as_posix()}")
            entries.append({"file": rel.as_posix(), **asdict(f)})
        (out / "SHA256SUMS").write_text("\n".join(sums) + "\n", "utf-8")
        manifest = out / "manifest.json"
        manifest.write_text(json.dumps({"case": case_id, "exported_at": utcnow(), "files": entries,
                                        "verify": "sha256sum -c SHA256SUMS"}, ensure_ascii=False, indent=1) + "\n",
                            "utf-8")
        return manifest


def _safe(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in value)[:80]
