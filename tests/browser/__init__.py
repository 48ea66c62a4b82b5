"""Browser tests: the subject's journey in Debian's Chromium, checked with axe-core and vnu."""
