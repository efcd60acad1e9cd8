"""Source texts → faithful, addressable passages (paragraphs of resolutions, excerpts of articles)."""

from knowledge.corpus import Corpus, load_corpus
from knowledge.errors import KnowledgeError
from knowledge.records import Document, Passage

__all__ = ["Corpus", "Document", "KnowledgeError", "Passage", "load_corpus"]
