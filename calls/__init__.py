"""Call records and reports (standard.md R10 and the quality figures). Not built yet."""
