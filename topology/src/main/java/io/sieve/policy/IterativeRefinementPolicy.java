package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Iterative refinement of cluster weights (Diversify-and-Conquer), per round, with a floor.
 *
 * <p>When a round closes (see {@link Rewards}: validation gain, else learnability, else scaled
 * loss), every cluster gets a score {@code S_k ∈ [0, 1]}: its reward averaged over its last rounds
 * and soft-thresholded at λ standard errors of the rounds' noise ({@link RewardEvidence}; 0.5, no
 * move, for a cluster never scored). The paper's S is a reward-model gap, how much the model can
 * still gain on a cluster; validation gain and learnability are that signal for a trainer, and a
 * raw loss is used only when the trainer sends neither. Then
 *
 * <pre>
 *   p = softmax(S / τ),   w'_k ∝ w_k · p_k,   w_k ← (1 − ε)·w'_k + ε·π_k,   w^0 = π
 * </pre>
 *
 * kept as normalised log weights: {@code log w'_k = log w_k + S_k/τ − logsumexp(S/τ)}, minus {@code
 * logsumexp(log w')}, then the mixing with ε·π, where {@code π_k = N_k / Σ N} is cluster k's share
 * of the pool (what uniform sampling would give it; 1/K while the pool is empty). The weights start
 * from π, and a cluster that appears later from its share; one that left the pool is forgotten.
 * Each batch's per-cluster counts are a Multinomial(n, w) draw (seeded by the batch seed) over the
 * clusters with items, capped at each cluster's pool with the excess water-filled over the others,
 * and drawn inside each cluster without replacement through the trainer's cursors. (The released
 * code uses p itself as the weights and sizes a round K times too large; neither is copied.)
 *
 * <p>Departure from the paper, and why: the paper runs a handful of rounds; a stream runs hundreds,
 * and the multiplicative update compounds over all of them. After each update the weights are mixed
 * with the pool's own mix ("fixed share", Herbster and Warmuth, with the pool's shares as the
 * prior), so every weight stays at least ε·π_k and a cluster whose reward rises again can regain
 * weight instead of waiting for its log weight to climb back from far below. With {@code
 * refinement.floor} = 0 the update is the paper's.
 *
 * <p>Two more departures, both for the guard that a clean stream must not get worse: the paper
 * starts from w⁰ = 1/K, which balances clusters before any feedback (on a clean stream with
 * clusters of unequal size that alone cost about 3 points of online accuracy in the S0 guard); and
 * it takes each round's own score, which on a clean stream is noise (the round's rewards are
 * relative, spread over [0, 1] whatever happens) that the multiplicative update compounds into a
 * random walk away from π. {@link #PAPER} restores both, and the floor.
 *
 * <p>Parameters: {@code refinement.start} ({@code pool} or {@code equal}), {@code
 * refinement.memory} and {@code refinement.evidence} ({@link RewardEvidence}), {@code
 * refinement.temperature} τ (default 1, the paper's softmax), {@code refinement.floor} ε in [0, 1]
 * (default 0.5), {@code policy.round.batches} (see {@link Rewards}).
 *
 * <p>State: {@code logw.<k>} (normalised log weight), {@code score.<k>} (last score), the evidence
 * ({@link RewardEvidence}), and the round's sums ({@link Rewards}).
 */
public final class IterativeRefinementPolicy implements SelectionPolicy {

  public static final String NAME = "iterative-refinement";
  public static final String TEMPERATURE = "refinement.temperature";
  public static final double TEMPERATURE_DEFAULT = 1.0;
  public static final String FLOOR = "refinement.floor";
  public static final double FLOOR_DEFAULT = 0.5;
  public static final String MEMORY = "refinement.memory";
  public static final double MEMORY_DEFAULT = 10;
  public static final String START = "refinement.start";
  public static final String START_DEFAULT = "pool";
  public static final String EXPLORE = "refinement.explore";
  public static final double EXPLORE_DEFAULT = 0.1;
  public static final String EVIDENCE = "refinement.evidence";
  public static final double EVIDENCE_DEFAULT = 2;

  /**
   * The parameters that give the paper's update: equal start, each round's own reward, no floor.
   */
  public static final Map<String, String> PAPER =
      Map.of(FLOOR, "0", START, "equal", MEMORY, "1", EVIDENCE, "0", EXPLORE, "0");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    temperature(params);
    floor(params);
    memory(params);
    evidence(params);
    startsEqual(params);
    explore(params);
    Rewards.checkParams(params);
  }

  private static double temperature(Map<String, String> params) {
    return new Params(params).number(TEMPERATURE, TEMPERATURE_DEFAULT, 1e-6, 1e6);
  }

  /** Whether the weights start from the pool's mix ({@code pool}) or equal ({@code equal}). */
  static boolean startsEqual(Map<String, String> params) {
    String v = new Params(params).string(START, START_DEFAULT);
    return switch (v) {
      case "pool" -> false;
      case "equal" -> true;
      default -> throw new IllegalArgumentException(START + " must be pool or equal: '" + v + "'");
    };
  }

  private static double explore(Map<String, String> params) {
    return new Params(params).number(EXPLORE, EXPLORE_DEFAULT, 0, 1);
  }

  private static double memory(Map<String, String> params) {
    return new Params(params).number(MEMORY, MEMORY_DEFAULT, 1, 1e6);
  }

  private static double evidence(Map<String, String> params) {
    return new Params(params).number(EVIDENCE, EVIDENCE_DEFAULT, 0, 100);
  }

  private static double floor(Map<String, String> params) {
    return new Params(params).number(FLOOR, FLOOR_DEFAULT, 0, 1);
  }

  @Override
  public boolean steeredByFeedback() {
    return true;
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Map<String, String> params = state.getSpec().getParams();
    PolicyState ps = new PolicyState(state);
    Rewards.Round round = Rewards.absorb(feedback, ps, context, params);
    if (round != null && !round.rewards().isEmpty()) {
      update(
          ps,
          round.kind(),
          round.rewards(),
          context,
          temperature(params),
          floor(params),
          memory(params),
          evidence(params),
          startsEqual(params));
    }
    ps.save();
  }

  /** One round's multiplicative update of the class comment, on rewards in [0, 1]. */
  static void update(
      PolicyState ps,
      Rewards.Kind kind,
      Map<Integer, Double> rewards,
      PlanContext context,
      double tau,
      double eps,
      double memory,
      double lambda,
      boolean equalStart) {
    TreeSet<Integer> clusters = new TreeSet<>(context.poolSizes().keySet());
    clusters.addAll(rewards.keySet());
    for (int c : ps.clusters("logw")) {
      if (context.poolSizes().containsKey(c)) {
        clusters.add(c);
      } else if (!rewards.containsKey(c)) {
        ps.remove(PolicyState.key("logw", c));
        ps.remove(PolicyState.key("score", c));
      }
    }
    Map<Integer, Double> evident =
        RewardEvidence.update(ps, rewards, clusters, memory, lambda, kind);
    int k = clusters.size();
    int[] ids = clusters.stream().mapToInt(Integer::intValue).toArray();
    double[] score = new double[k];
    double[] s = new double[k];
    double[] logw = new double[k];
    double[] start = start(ps, ids, context.poolSizes(), equalStart);
    for (int i = 0; i < k; i++) {
      score[i] = evident.get(ids[i]);
      s[i] = score[i] / tau;
      logw[i] = start[i];
    }
    double lseS = LogSpace.logSumExp(s);
    for (int i = 0; i < k; i++) {
      logw[i] += s[i] - lseS;
    }
    double lseW = LogSpace.logSumExp(logw);
    double pooled = 0;
    for (int id : ids) {
      pooled += context.poolSizes().getOrDefault(id, 0L);
    }
    for (int i = 0; i < k; i++) {
      double normalised = logw[i] - lseW;
      double share = pooled > 0 ? context.poolSizes().getOrDefault(ids[i], 0L) / pooled : 1.0 / k;
      double logFloor = share > 0 ? Math.log(eps * share) : Double.NEGATIVE_INFINITY;
      // log((1 − ε)·w + ε·π), stable for w far below ε·π; ε = 0 leaves w as it is
      double mixed =
          eps <= 0
              ? normalised
              : eps >= 1
                  ? logFloor
                  : LogSpace.logSumExp(new double[] {Math.log1p(-eps) + normalised, logFloor});
      ps.put(PolicyState.key("logw", ids[i]), mixed);
      ps.put(PolicyState.key("score", ids[i]), score[i]);
    }
  }

  /**
   * Each cluster's log weight: its own, else where a new cluster starts: its share of the pool
   * ({@code pool}; 1/K while the pool is empty) or 1/K ({@code equal}, the paper's w⁰), the
   * clusters that have weights keeping theirs.
   */
  private static double[] start(
      PolicyState ps, int[] ids, Map<Integer, Long> poolSizes, boolean equal) {
    double pooled = 0;
    for (int id : ids) {
      pooled += poolSizes.getOrDefault(id, 0L);
    }
    double[] out = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      long size = poolSizes.getOrDefault(ids[i], 0L);
      double share = equal || pooled <= 0 || size <= 0 ? 1.0 / ids.length : size / pooled;
      out[i] = ps.get(PolicyState.key("logw", ids[i]), Math.log(share));
    }
    return out;
  }

  /** The normalised weights over the given clusters, from the state (where they start if none). */
  static double[] weights(TrainerState state, int[] ids, Map<Integer, Long> poolSizes) {
    boolean equal = state.getSpec() != null && startsEqual(state.getSpec().getParams());
    return LogSpace.softmax(start(new PolicyState(state), ids, poolSizes, equal));
  }

  /**
   * What a batch draws from: {@code (1 − η)·w + η/K}, the learnt weights with an exploration share
   * η spread equally over the clusters, so that every cluster, the small ones of a long tail too,
   * is drawn often enough for the trainer's feedback to say what it gains (from the pool's mix a
   * cluster of 60 among 15,000 is drawn about once in 250 examples, and a cluster never trained on
   * earns no reward).
   */
  static double[] drawn(TrainerState state, int[] ids, Map<Integer, Long> poolSizes) {
    double[] w = weights(state, ids, poolSizes);
    double eta = state.getSpec() == null ? 0 : explore(state.getSpec().getParams());
    for (int i = 0; i < w.length; i++) {
      w[i] = (1 - eta) * w[i] + eta / w.length;
    }
    return w;
  }

  /** The drawn weights: multinomial counts follow them in expectation. */
  @Override
  public Map<Integer, Double> batchShares(TrainerState state, PlanContext context, Draw draw) {
    int[] ids = ClusterDraws.ids(context.poolSizes());
    double[] w = drawn(state, ids, context.poolSizes());
    Map<Integer, Double> out = new TreeMap<>();
    for (int i = 0; i < ids.length; i++) {
      out.put(ids[i], w[i]);
    }
    return out;
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Random rng = new Random(batchSeed);
    int[] ids = ClusterDraws.ids(poolSizes);
    int[] counts = ClusterDraws.multinomial(batchSize, drawn(state, ids, poolSizes), rng);
    counts = ClusterDraws.capped(counts, ClusterDraws.capacities(poolSizes), rng);
    return ClusterDraws.take(state, new TreeMap<>(poolSizes), ids, counts, rng);
  }
}
