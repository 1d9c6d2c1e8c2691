"""The store: narrow protocols (`protocols.py`) and one SQLAlchemy implementation (SQLite or PostgreSQL)."""

from crossingwatch.store.protocols import (
    AuditLog,
    Bank,
    BankEntry,
    BankStore,
    NewEntry,
    OcrTextStore,
    PostStore,
    RejectStore,
    ScanRunStore,
)
from crossingwatch.store.sql import SqlStore, database_url, open_store

__all__ = ["AuditLog", "Bank", "BankEntry", "BankStore", "NewEntry", "OcrTextStore", "PostStore", "RejectStore",
           "ScanRunStore", "SqlStore", "database_url", "open_store"]
