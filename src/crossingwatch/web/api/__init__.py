"""One router per noun; handlers translate HTTP to `services/` calls and back, nothing more."""
