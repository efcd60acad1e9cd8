"""Sentence-embedding models for Kassatsiya."""
