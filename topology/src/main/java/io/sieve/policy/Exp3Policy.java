package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * EXP3 online data mixing over clusters (Albalak et al., "Efficient Online Data Mixing"), starting
 * from and exploring on the pool's natural cluster mix, updated once per round.
 *
 * <p><b>Rewards.</b> Per round (see {@link Rewards}: validation gain, else learnability, else
 * scaled loss), each reported cluster's reward {@code r_k ∈ [0, 1]}. ODM observes one domain per
 * step; a round observes every cluster it trained on, so a round counts as K steps: with {@code P_k
 * = 1 − (1 − π_k)^m} the chance that cluster k was in the round's m examples,
 *
 * <pre>
 *   R̂_k += K·r_k / P_k        (E[R̂_k] grows by K·r̄_k per round, as ODM's does over K steps)
 *   t    = K·(rounds closed)
 * </pre>
 *
 * <p><b>Mixture.</b> With K the clusters that have items, q the pool's shares of them (the natural
 * mix), and ε the paper's rate,
 *
 * <pre>
 *   ε_t = min(1/K, sqrt(ln K / (K·t)))        (ε_0 = 1/K)
 *   π_k = (1 − K·ε_t)·softmax(log q + ε_{t−1}·R̂)_k + K·ε_t·q_k
 * </pre>
 *
 * The exploration mass {@code K·ε_t} goes to the natural mix rather than to 1/K each (uniform over
 * clusters is round-robin, which is not what a user's data looks like), and the softmax starts from
 * log q: before any reward π = q. Everything is in log space (a stable softmax; nothing is
 * exponentiated unnormalised, so long runs cannot overflow).
 *
 * <p><b>Horizon.</b> The round after r closed rounds has {@code t = K·(r + 1)}, so its exploration
 * share is {@code K·ε_t = min(1, sqrt(ln K / (r + 1)))}: π is the natural mix for the first ⌊ln K⌋
 * rounds (the warm-up: 4 rounds at K = 55, 2 at K = 10), half exploration at round 4·ln K, a
 * quarter at 16·ln K. With the default round of 10 batches a run of 80 batches has 8 rounds: at K =
 * 55 the mixture moves from the fifth round on, and a user should expect a run of a few hundred
 * batches before the weights settle. {@code exp3.warmup} holds the natural mix for at least that
 * many rounds (ODM used 2 % of its run).
 *
 * <p>Each batch's counts are a Multinomial(n, π) draw (seeded by the batch seed), capped at each
 * pool with the excess water-filled, and drawn without replacement inside each cluster through the
 * trainer's cursors.
 *
 * <p>Parameters: {@code exp3.warmup} (rounds of the natural mix at least, default 0 beyond the
 * schedule's own), {@code policy.round.batches} (see {@link Rewards}).
 *
 * <p>State: {@code R.<k>} (R̂_k), {@code pi.<k>} (π of the latest plan), {@code t}, {@code rounds},
 * {@code round.drawn} (examples planned in the open round), and the round's sums ({@link Rewards}).
 */
public final class Exp3Policy implements SelectionPolicy {

  public static final String NAME = "exp3";
  public static final String WARMUP = "exp3.warmup";
  public static final int WARMUP_DEFAULT = 0;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    warmup(params);
    Rewards.checkParams(params);
  }

  private static int warmup(Map<String, String> params) {
    return new Params(params).integer(WARMUP, WARMUP_DEFAULT, 0, 1_000_000);
  }

  /** ε_t = min(1/K, sqrt(ln K / (K·t))), with ε_0 = 1/K. */
  static double epsilon(int k, long t) {
    if (k <= 0) {
      return 0;
    }
    if (t <= 0) {
      return 1.0 / k;
    }
    return Math.min(1.0 / k, Math.sqrt(Math.log(k) / ((double) k * t)));
  }

  /** The pool's shares of {@code ids} (1/K each while the pool is empty). */
  static double[] naturalMix(SortedMap<Integer, Long> poolSizes, int[] ids) {
    double[] q = new double[ids.length];
    double total = 0;
    for (int i = 0; i < ids.length; i++) {
      q[i] = poolSizes.getOrDefault(ids[i], 0L);
      total += q[i];
    }
    for (int i = 0; i < ids.length; i++) {
      q[i] = total > 0 ? q[i] / total : 1.0 / ids.length;
    }
    return q;
  }

  /** π over {@code ids} from the state and the natural mix q. */
  static double[] probabilities(TrainerState state, int[] ids, double[] q) {
    PolicyState ps = new PolicyState(state);
    int k = ids.length;
    long rounds = (long) ps.get("rounds", 0);
    int warmup = state.getSpec() == null ? 0 : warmup(state.getSpec().getParams());
    if (rounds < warmup) {
      return q.clone();
    }
    long t = (long) ps.get("t", 0) + k;
    double eps = epsilon(k, t);
    double epsPrev = epsilon(k, t - k);
    double[] logits = new double[k];
    for (int i = 0; i < k; i++) {
      logits[i] =
          (q[i] > 0 ? Math.log(q[i]) : Double.NEGATIVE_INFINITY)
              + epsPrev * ps.get(PolicyState.key("R", ids[i]), 0);
    }
    double[] soft = LogSpace.softmax(logits);
    double explore = Math.min(1, k * eps);
    double[] pi = new double[k];
    for (int i = 0; i < k; i++) {
      pi[i] = (1 - explore) * soft[i] + explore * q[i];
    }
    return pi;
  }

  @Override
  public boolean steeredByFeedback() {
    return true;
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    PolicyState ps = new PolicyState(state);
    Rewards.Round round = Rewards.absorb(feedback, ps, context, state.getSpec().getParams());
    if (round != null) {
      absorb(ps, round, context, ps.get("round.drawn", 0));
      ps.put("round.drawn", 0);
    }
    ps.save();
  }

  /** One round's update: {@code R̂_k += K·r_k / P_k} and {@code t += K}. */
  static void absorb(PolicyState ps, Rewards.Round round, PlanContext context, double drawn) {
    int k = Math.max(1, context.poolSizes().size());
    for (Map.Entry<Integer, Double> e : round.rewards().entrySet()) {
      double pi = ps.get(PolicyState.key("pi", e.getKey()), 1.0 / k);
      // the chance the cluster was observed at all; never below π (one draw)
      double observed = Math.max(pi, 1 - Math.pow(1 - pi, Math.max(1, drawn)));
      ps.add(PolicyState.key("R", e.getKey()), k * e.getValue() / Math.max(observed, 1e-12));
    }
    // clusters that left the pool and were not reported leave no numbers behind
    for (int c : ps.clusters("R")) {
      if (!context.poolSizes().containsKey(c) && !round.rewards().containsKey(c)) {
        ps.remove(PolicyState.key("R", c));
        ps.remove(PolicyState.key("pi", c));
      }
    }
    ps.add("t", k);
    ps.add("rounds", 1);
  }

  /** π of the latest plan: multinomial counts follow it in expectation. */
  @Override
  public Map<Integer, Double> batchShares(TrainerState state, PlanContext context, Draw draw) {
    PolicyState ps = new PolicyState(state);
    Map<Integer, Double> out = new TreeMap<>();
    for (int k : context.poolSizes().keySet()) {
      out.put(k, ps.get(PolicyState.key("pi", k), 0));
    }
    return out;
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    int[] ids = ClusterDraws.ids(poolSizes);
    double[] pi = probabilities(state, ids, naturalMix(poolSizes, ids));
    PolicyState ps = new PolicyState(state);
    for (int i = 0; i < ids.length; i++) {
      ps.put(PolicyState.key("pi", ids[i]), pi[i]);
    }
    ps.add("round.drawn", batchSize);
    ps.save();
    int[] counts = ClusterDraws.multinomial(batchSize, pi, rng);
    counts = ClusterDraws.capped(counts, ClusterDraws.capacities(poolSizes), rng);
    return ClusterDraws.take(state, new TreeMap<>(poolSizes), ids, counts, rng);
  }
}
