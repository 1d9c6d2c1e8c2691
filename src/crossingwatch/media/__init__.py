"""Images and video: safe opening, OCR (Tesseract), hashing (PDQ, SHA-256, video MD5) and matching indexes.

Computation on files and arrays; no database, web or CLI code (those call in through `services/`).
"""
