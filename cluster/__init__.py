"""newsdedup: syndicated passages, copies, stories and contradictions in a scraped news corpus."""

__version__ = "0.1.0"
