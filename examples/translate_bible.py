"""English -> Spanish Bible verses (World English Bible -> Reina-Valera 1909): Translator vs word-by-word.

Data: Debian's public-domain SWORD Bibles (``sword-text-web``, ``sword-text-sparv``,
exported with ``mod2imp`` from ``libsword-utils``) through
:func:`hiddenlayers.datasets_bible.load_bible_pairs`. Verses of at most 20 words
on both sides (12.5k of the 31k verses): short enough that an epoch over all of
them takes about a minute on one core, long enough to keep 40 % of the Bible; in
tuning, more training pairs beat more epochs over fewer pairs. 400 of them, a
fixed random draw (seed 0), are held out for BLEU; the rest train.

Baseline, computed here from the same training pairs: word-by-word translation
with a dictionary that maps each English word to the Spanish word with the
highest Dice coefficient 2·c(e, s) / (c(e) + c(s)) over verse co-occurrence;
unknown words are copied (names). The Translator copies the source word its attention
picks for each output <unk> in the same way. BLEU is sacrebleu's corpus BLEU, lowercased,
13a tokenization, for both systems.

The Translator: bi-directional GRU encoder, GRU decoder with Luong attention without
input feeding (teacher-forced training runs the decoder over whole sentences in
one call, several times faster than step by step), output layer tied to the
target embeddings (on 5k pairs and equal time: validation loss 3.56 against 4.30
untied, greedy BLEU 6.9 against 0.2), a 4000-token vocabulary per side with
<unk> copying. Early stopping on the validation loss; training stops before an
epoch that would end past 7 minutes, so the whole run fits in 9 minutes on 2
shared cores; greedy and beam-5 decoding.

Run: python examples/translate_bible.py [--smoke]
"""

import argparse
import time

import numpy as np
import sacrebleu
import scipy.sparse as sp
import torch

from hiddenlayers.apps import Translator
from hiddenlayers.apps._translate.text import detokenize, tokenize
from hiddenlayers.data import load_bible_pairs

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--smoke", action="store_true", help="a tiny run (seconds) that checks the pipeline, not the quality")
args = parser.parse_args()

torch.set_num_threads(1)  # small recurrent steps: one thread is fastest, and the machine is shared
t0 = time.perf_counter()
MAX_WORDS, N_TEST = 20, 400
pairs = load_bible_pairs()
words_src, words_tgt = pairs.src.str.split().str.len(), pairs.tgt.str.split().str.len()
short = pairs[(words_src <= MAX_WORDS) & (words_tgt <= MAX_WORDS)]
test = short.sample(N_TEST, random_state=0)
train = short.drop(test.index)
if args.smoke:
    train, test = train.sample(400, random_state=0), test.iloc[:40]
src_train, tgt_train = train.src.tolist(), train.tgt.tolist()
src_test, tgt_test = test.src.tolist(), test.tgt.tolist()
print(f"Bible verses WEB -> RV1909: {len(pairs)} aligned, {len(short)} with <= {MAX_WORDS} words; train {len(train)}, test {len(test)}")


def bleu(hypotheses: list[str]) -> float:
    return float(sacrebleu.corpus_bleu(hypotheses, [tgt_test], lowercase=True).score)


def dice_dictionary(sources: list[list[str]], targets: list[list[str]]) -> dict[str, str]:
    """Each source word -> the target word with the highest Dice coefficient over sentence co-occurrence."""
    s_index = {w: i for i, w in enumerate(sorted({w for s in sources for w in s}))}
    t_index = {w: i for i, w in enumerate(sorted({w for t in targets for w in t}))}
    t_words = np.array(sorted(t_index, key=t_index.__getitem__))

    def incidence(sentences: list[list[str]], index: dict[str, int]) -> sp.csr_matrix:
        rows = [r for r, s in enumerate(sentences) for _ in set(s)]
        cols = [index[w] for s in sentences for w in set(s)]
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sentences), len(index)))

    S, T = incidence(sources, s_index), incidence(targets, t_index)
    C = (S.T @ T).tocsr()  # (source words, target words) co-occurrence counts
    c_src, c_tgt = np.asarray(S.sum(0)).ravel(), np.asarray(T.sum(0)).ravel()
    table = {}
    for w, i in s_index.items():
        cols, counts = C.indices[C.indptr[i] : C.indptr[i + 1]], C.data[C.indptr[i] : C.indptr[i + 1]]
        dice = 2 * counts / (c_src[i] + c_tgt[cols])
        table[w] = str(t_words[cols[np.argmax(dice)]])
    return table


t = time.perf_counter()
src_tok, tgt_tok = [tokenize(s) for s in src_train], [tokenize(s) for s in tgt_train]
dictionary = dice_dictionary(src_tok, tgt_tok)
word_by_word = [detokenize([dictionary.get(w, w) for w in tokenize(s)]) for s in src_test]
print(f"  word-by-word (Dice dictionary, {len(dictionary)} words)   BLEU {bleu(word_by_word):5.2f}  ({time.perf_counter() - t:.1f} s)")

t = time.perf_counter()
params = dict(hidden_size=128, embed_dim=128, max_vocab=4000, min_freq=2, max_iter=30, max_time=420.0)
if args.smoke:
    params = dict(hidden_size=32, embed_dim=16, max_vocab=2000, min_freq=1, max_iter=2, max_time=None, batch_size=16)
tr = Translator(
    **params,
    attention="luong",
    input_feeding=False,
    tie_embeddings=True,
    max_len=40,
    dropout=0.2,
    n_iter_no_change=2,
    random_state=0,
    verbose=True,
)
tr.fit(src_train, tgt_train)
fit_s = time.perf_counter() - t
print(
    f"  Translator: {len(tr.source_vocab_)} English / {len(tr.target_vocab_)} Spanish tokens, {tr.n_iter_} epochs "
    f"({tr.history_.stop_message}), best validation loss {min(tr.history_.val_loss):.3f}, {fit_s:.0f} s"
)
t = time.perf_counter()
greedy = tr.predict(src_test)
print(f"  Translator greedy                            BLEU {bleu(greedy):5.2f}  ({time.perf_counter() - t:.1f} s)")
t = time.perf_counter()
beam = tr.predict(src_test, beam_size=5)
print(f"  Translator beam 5                            BLEU {bleu(beam):5.2f}  ({time.perf_counter() - t:.1f} s)")
print(
    f"summary: word-by-word BLEU {bleu(word_by_word):.2f} | Translator greedy {bleu(greedy):.2f}, beam 5 {bleu(beam):.2f} | "
    f"{tr.n_iter_} epochs, training {fit_s:.0f} s"
)

print("examples (reference / word-by-word / beam 5):")
for i in range(3):
    print(f"  EN {src_test[i]}\n  ES {tgt_test[i]}\n  wb {word_by_word[i]}\n  hl {beam[i]}")
att = tr.attention_map(src_test[0])
looked = ", ".join(f"{w}<-{att.source_tokens[j]}" for w, j in zip(att.target_tokens, att.weights.argmax(1)))
print(f"attention (output word <- the source word it looked at most): {looked}")
print(f"wall time {time.perf_counter() - t0:.1f} s")
