"""Game AI: a double-DQN agent with a (128, 128) Q-network learns gymnasium's CartPole-v1.

Training stops once a 10-episode greedy evaluation scores 500 (or after
150,000 steps), keeping the best evaluated weights; the agent is then
scored on 100 fresh greedy episodes (goal: average >= 475). Baseline: a
random policy on the same 100 episode seeds. Seeded (random_state=0).
The lens report of the Q-network, on the states of 3 greedy episodes
labelled with the action taken, is written to examples/reports/cartpole_agent.html.

Run: python examples/cartpole_agent.py
     python examples/cartpole_agent.py --smoke   # seconds: 2,000 steps, 10 scoring episodes, report on 1 episode (not the RESULTS.md numbers)
"""

import argparse
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import hiddenlayers as hl

REPORTS = Path(__file__).parent / "reports"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``--smoke`` for a seconds-long run, ``--out-dir`` for the lens report's folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: 2,000 training steps, 3-episode evaluations, 10 scoring episodes, lens report on one episode's states")
    p.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Score a random policy, train and score the DQN agent, print both, write the lens report."""
    args = parse_args(argv)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    if args.smoke:
        total_steps, eval_every, eval_episodes, n_score = 2_000, 1_000, 3, 10
    else:
        total_steps, eval_every, eval_episodes, n_score = 150_000, 5_000, 10, 100
    torch.set_num_threads(1)  # tiny batches: one thread is faster than two
    t0 = time.perf_counter()
    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(0)
    random_returns = []
    for k in range(n_score):
        env.reset(seed=10_000 + k)
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(int(rng.integers(2)))
            total, done = total + r, term or trunc
        random_returns.append(total)
    agent = hl.DQNAgent((128, 128), random_state=0)
    agent.fit("CartPole-v1", total_steps=total_steps, eval_every=eval_every, eval_episodes=eval_episodes, target_return=500)
    h = agent.history_
    returns = agent.evaluate("CartPole-v1", episodes=n_score, seed=10_000)
    print(f"CartPole-v1: trained {h.steps} steps, {len(h.episode_returns)} episodes in {h.seconds:.0f} s; evaluations {[(s, round(r, 1)) for s, r in zip(h.eval_steps, h.eval_returns)]}")
    print(f"  random policy   average return {np.mean(random_returns):.1f} over {n_score} episodes")
    print(f"  DQNAgent        average return {returns.mean():.1f} over {n_score} episodes (min {returns.min():.0f}; goal >= 475)")
    t = time.perf_counter()
    states, actions = agent.rollout("CartPole-v1", episodes=1 if args.smoke else 3, seed=20_000)  # the states the agent visits
    report_path = out_dir / "cartpole_agent.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    names = ["cart position", "cart velocity", "pole angle", "pole angular velocity"]
    title = "Inside the CartPole Q-network (label: action, 0 = left, 1 = right)" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(agent, states, actions, title=title, feature_names=names).save(report_path)
    print(f"lens report: {report_path} ({len(states)} states, {time.perf_counter() - t:.1f} s)")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
