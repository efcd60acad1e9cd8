"""The retrieval engine as the settings describe it, for every front end (the bot, the command line, the web)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from embeddings.engine import Engine
    from knowledge import Corpus


def open_engine(settings: Settings, corpus: Corpus | None = None, *, rebuild: bool = False) -> Engine:
    """Corpus (loaded from the settings unless given), model, index, question-vector table and model threads.

    The engine is imported here, not at the top: `cassbot docs`/`show` never pay for the model's libraries.
    """
    from embeddings.engine import Engine
    from knowledge import load_corpus

    return Engine.open(corpus if corpus is not None else load_corpus(*settings.corpus_paths()),
                       settings.embedding_model, settings.data_dir, rebuild=rebuild,
                       query_cache=settings.query_cache_size, threads=settings.encoder_threads)
