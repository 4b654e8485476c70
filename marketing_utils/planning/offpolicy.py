"""Off-policy value of an assignment from a randomized multi-arm test.

In a randomized test customer ``i`` got arm ``A_i`` (an offer or the
control) with a known probability ``e(a)`` (the arm's share of the design).
For a policy ``pi`` that would give customer ``i`` the arm ``pi_i``, the
inverse-propensity-weighted (IPW, Horvitz-Thompson) estimate of the mean
reward per customer is

.. math:: \\hat V(\\pi) = \\frac{1}{n} \\sum_i \\frac{1[A_i = \\pi_i]}{e(A_i)}\\, R_i,
    \\qquad R_i = v_i Y_i - c_{A_i},

unbiased because the test was randomized: the customers whose arm happens to
agree with the policy stand for everyone the policy would treat that way.
The plan's *incremental* value is ``n (V(pi) - V(nobody))``: what it earns
over contacting nobody, in currency, for the ``n`` customers evaluated. The
policies must be fixed without the evaluated customers' outcomes (the stage
cross-fits its models, so every customer is scored by models that never saw
it). The interval is a percentile bootstrap over customers, resampling the
plan and the comparison together (paired).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataValidationError

__all__ = ["ipw_incremental_value", "ipw_value", "ipw_with_bootstrap"]


def _weights(observed: np.ndarray, propensity: dict[str, float]) -> np.ndarray:
    unknown = sorted(set(np.unique(observed).tolist()) - set(propensity))
    if unknown:
        raise DataValidationError(
            "campaign", f"expected arms from {sorted(propensity)}, found {unknown}", column="arm"
        )
    for arm, share in propensity.items():
        if not 0 < share <= 1:
            raise DataValidationError(
                "campaign", f"expected arm shares in (0, 1], found {arm!r}: {share!r}", column="arm"
            )
    return 1.0 / np.array([propensity[a] for a in observed], dtype=float)


def ipw_value(policy, observed, reward, propensity: dict[str, float]) -> float:
    """IPW estimate of the mean reward per customer under ``policy``.

    Parameters
    ----------
    policy, observed : array-like of str, shape (n,)
        Arm the policy gives, arm the customer got (the control arm's name
        for no contact).
    reward : array-like, shape (n,)
        Observed reward of each customer under the arm it got.
    propensity : dict
        Probability of each arm in the randomized design.

    Examples
    --------
    Two customers got the offer (probability 1/2) and two the control:

    >>> ipw_value(["a", "a", "c", "c"], ["a", "c", "a", "c"], [3, 1, 0, 2], {"a": .5, "c": .5})
    2.5
    """
    policy, observed = np.asarray(policy, dtype=object), np.asarray(observed, dtype=object)
    reward = np.asarray(reward, dtype=float)
    weight = _weights(observed, propensity)
    return float(np.mean((policy == observed) * weight * reward))


def ipw_incremental_value(policy, observed, reward, propensity, *, control: str) -> float:
    """``n (V(policy) - V(nobody))``: the policy's estimated gain over no contact, in total."""
    n = len(observed)
    everyone_control = np.full(n, control, dtype=object)
    return n * (
        ipw_value(policy, observed, reward, propensity)
        - ipw_value(everyone_control, observed, reward, propensity)
    )


def ipw_with_bootstrap(
    policies: dict[str, np.ndarray],
    observed,
    reward,
    propensity: dict[str, float],
    *,
    control: str,
    n_bootstrap: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, dict]:
    """Incremental IPW value of each policy with a paired percentile bootstrap interval.

    Returns, per policy, ``value``, ``ci_low`` and ``ci_high`` (totals for
    the ``n`` customers); the resamples are shared by all policies, so
    differences between them are paired. ``differences`` (the first policy
    minus each other) are included under ``"<first> - <other>"``.
    """
    if not isinstance(n_bootstrap, int) or n_bootstrap < 2:
        raise DataValidationError(
            "params campaign_planning.n_bootstrap",
            f"expected an integer >= 2, found {n_bootstrap!r}",
        )
    observed = np.asarray(observed, dtype=object)
    reward = np.asarray(reward, dtype=float)
    n = len(observed)
    weight = _weights(observed, propensity)
    baseline_terms = (observed == control) * weight * reward
    terms = {
        name: (np.asarray(policy, dtype=object) == observed) * weight * reward - baseline_terms
        for name, policy in policies.items()
    }
    rng = np.random.default_rng(seed)
    draws = {name: np.empty(n_bootstrap) for name in terms}
    for b in range(n_bootstrap):
        rows = rng.integers(0, n, n)
        for name, values in terms.items():
            draws[name][b] = values[rows].sum()
    tail = (1 - level) / 2 * 100
    out = {}
    names = list(terms)
    for name in names:
        low, high = np.percentile(draws[name], [tail, 100 - tail])
        out[name] = {
            "value": float(terms[name].sum()),
            "ci_low": float(low),
            "ci_high": float(high),
        }
    first = names[0]
    for other in names[1:]:
        diff = draws[first] - draws[other]
        low, high = np.percentile(diff, [tail, 100 - tail])
        out[f"{first} - {other}"] = {
            "value": float(terms[first].sum() - terms[other].sum()),
            "ci_low": float(low),
            "ci_high": float(high),
        }
    return out
