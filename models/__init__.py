"""Model zoo behind one registry. Not built yet: see the open issues."""
