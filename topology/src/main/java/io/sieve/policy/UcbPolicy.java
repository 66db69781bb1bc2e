package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Upper-confidence-bound choice of clusters (Quad), with rewards scaled into [0, 1] and a floor.
 *
 * <p>Each acknowledged batch's loss on cluster k is its reward r. The cluster's running sum and
 * count take it ({@code sum_k += r, T_k += 1, T += 1}), and so do its neighbours, discounted by
 * centroid distance: for every other cluster j with cosine distance {@code d(k, j) < δ}, {@code
 * sum_j += r·(1 − d/δ), T_j += 1}. The largest loss ever received, {@code L_max}, scales the means,
 * and the clusters are ranked by
 *
 * <pre>
 *   CS_k = R̄_k / L_max + α·sqrt(2·ln T / (T_k + 1)),   R̄_k = sum_k / T_k (0 before any reward)
 * </pre>
 *
 * with {@code ln T} read as 0 before the first reward; ties break by a seeded hash of (batch seed,
 * cluster). Of a batch of n, {@code round(ε·n)} are first split over every cluster with items in
 * proportion to its pool, as uniform sampling would split them (largest parts first, the remainder
 * by systematic sampling); the rest go to the top {@code m} clusters by CS, water-filled over what
 * their pools still hold; if they cannot hold it, the next clusters by CS join. An exhausted
 * cluster, one whose pool is empty, drops out (in a stream the pool refills, so a cluster's own
 * cycle restarts instead of retiring it; draws inside a cluster go without replacement through the
 * trainer's cursors).
 *
 * <p>Departures from Quad, and why. UCB1's bonus {@code sqrt(2 ln T / T_k)} is calibrated for
 * rewards in [0, 1], so the means are divided by {@code L_max}, which keeps them in [0, 1] whatever
 * the loss's units (cross-entropy starts at ≈ 2.3 for 10 classes, 3.8 for 45). That alone does not
 * stop the collapse seen with Quad's choice: every batch went to the four clusters a linear model
 * fits worst, which skews the label mix the classifier sees (Fashion-MNIST: −0.27 accuracy against
 * uniform, and −0.33 with scaled rewards). The floor ε keeps a share of every batch as uniform
 * sampling would draw it, which bounds that skew. With {@code ucb.floor} = 0 the choice is Quad's,
 * on scaled rewards.
 *
 * <p>Parameters: {@code ucb.alpha} α (default 1), {@code ucb.clusters} m (default 8), {@code
 * ucb.delta} δ in cosine distance (default 0.2; 0 turns neighbour propagation off), {@code
 * ucb.floor} ε in [0, 1] (default 0.5).
 *
 * <p>State: {@code sum.<k>}, {@code n.<k>} (T_k), {@code T}, {@code maxLoss} (L_max).
 */
public final class UcbPolicy implements SelectionPolicy {

  public static final String NAME = "ucb";
  public static final String ALPHA = "ucb.alpha";
  public static final double ALPHA_DEFAULT = 1.0;
  public static final String CLUSTERS = "ucb.clusters";
  public static final int CLUSTERS_DEFAULT = 8;
  public static final String DELTA = "ucb.delta";
  public static final double DELTA_DEFAULT = 0.2;
  public static final String FLOOR = "ucb.floor";
  public static final double FLOOR_DEFAULT = 0.5;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Params p = new Params(params);
    p.number(ALPHA, ALPHA_DEFAULT, 0, 1e6);
    p.integer(CLUSTERS, CLUSTERS_DEFAULT, 1, 1_000_000);
    p.number(DELTA, DELTA_DEFAULT, 0, 2);
    p.number(FLOOR, FLOOR_DEFAULT, 0, 1);
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Map<Integer, Double> rewards = FeedbackLosses.byCluster(feedback);
    if (rewards.isEmpty()) {
      return;
    }
    double delta = new Params(state.getSpec().getParams()).number(DELTA, DELTA_DEFAULT, 0, 2);
    PolicyState ps = new PolicyState(state);
    TreeSet<Integer> others = new TreeSet<>(context.poolSizes().keySet());
    others.addAll(rewards.keySet());
    for (Map.Entry<Integer, Double> e : rewards.entrySet()) {
      int k = e.getKey();
      double r = e.getValue();
      ps.put("maxLoss", Math.max(ps.get("maxLoss", 0), r));
      ps.add(PolicyState.key("sum", k), r);
      ps.add(PolicyState.key("n", k), 1);
      ps.add("T", 1);
      if (delta <= 0) {
        continue;
      }
      for (int j : others) {
        double d = context.distance(k, j);
        if (j != k && d < delta) {
          ps.add(PolicyState.key("sum", j), r * (1 - d / delta));
          ps.add(PolicyState.key("n", j), 1);
        }
      }
    }
    ps.save();
  }

  /** CS_k for each cluster, index-aligned with {@code ids}. */
  static double[] scores(TrainerState state, int[] ids, double alpha) {
    PolicyState ps = new PolicyState(state);
    double t = ps.get("T", 0);
    double lnT = t > 1 ? Math.log(t) : 0;
    double maxLoss = ps.get("maxLoss", 0);
    double[] cs = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      double n = ps.get(PolicyState.key("n", ids[i]), 0);
      double mean =
          n > 0 && maxLoss > 0 ? ps.get(PolicyState.key("sum", ids[i]), 0) / n / maxLoss : 0;
      cs[i] = mean + alpha * Math.sqrt(2 * lnT / (n + 1));
    }
    return cs;
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    Params p = new Params(state.getSpec() == null ? Map.of() : state.getSpec().getParams());
    double alpha = p.number(ALPHA, ALPHA_DEFAULT, 0, 1e6);
    int m = p.integer(CLUSTERS, CLUSTERS_DEFAULT, 1, 1_000_000);
    double eps = p.number(FLOOR, FLOOR_DEFAULT, 0, 1);
    Random rng = new Random(batchSeed);
    int[] ids = ClusterDraws.ids(poolSizes);
    long[] sizes = ClusterDraws.capacities(poolSizes);
    // the floor first: a split over every cluster with items in proportion to its pool
    double[] poolShare = new double[ids.length];
    for (int i = 0; i < ids.length; i++) {
      poolShare[i] = sizes[i];
    }
    int[] floor =
        WaterFilling.proportional((int) Math.round(eps * batchSize), poolShare, sizes.clone(), rng);
    int rest = batchSize;
    for (int i = 0; i < ids.length; i++) {
      sizes[i] -= floor[i];
      rest -= floor[i];
    }
    double[] cs = scores(state, ids, alpha);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      if (sizes[i] > 0) {
        order.add(i);
      }
    }
    order.sort(
        Comparator.<Integer>comparingDouble(i -> -cs[i])
            .thenComparingLong(i -> Seeds.mix(batchSeed, ids[i])));
    long[] capacity = new long[ids.length];
    long held = 0;
    for (int r = 0; r < order.size() && (r < m || held < rest); r++) {
      int i = order.get(r);
      capacity[i] = sizes[i];
      held += sizes[i];
    }
    int[] counts = WaterFilling.allocate(rest, capacity, rng);
    for (int i = 0; i < ids.length; i++) {
      counts[i] += floor[i];
    }
    return ClusterDraws.take(state, new TreeMap<>(poolSizes), ids, counts);
  }
}
