"""Renderers: the same trace (or grading report) for people and for scripts."""
