package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Group-equitable budgets from learning curves (Cai et al.; Slice Tuner).
 *
 * <p>The groups are the values of one attribute ({@code equitable.attribute}). Each group g has a
 * learning curve {@code L_g(n) = b_g·n^(−a_g)} ({@link LearningCurve}), fitted by weighted least
 * squares in log-log space to the trainer's group losses: a feedback's loss for g is the point
 * {@code (n_g, L)}, where {@code n_g} is the number of g's examples planned so far, weighted by
 * {@code n_g} (later points rest on more data). Each batch of n is spent greedily in steps of
 * {@code ⌈n/100⌉}: the next step goes to the group whose step lowers the objective most per unit
 * cost {@code c_g}, within the group's pooled supply (when no step lowers the objective, as for
 * groups that are not the worst under worst-group, the worst group itself; under mean-unfairness,
 * the group whose own loss drops most per cost; when no curve drops, the group with the fewest
 * items so far). Objectives:
 *
 * <ul>
 *   <li>{@code worst-group}: {@code max_g L_g};
 *   <li>{@code mean-unfairness}: {@code mean_g L_g + λ·mean_g max(0, L_g − mean_{h≠g} L_h)}.
 * </ul>
 *
 * The greedy split {@code m_g/n} is mixed with the pool's own mix, {@code target_g = (1 − ε)·m_g/n
 * + ε·supply_g/Σ supply}, and the shares are rate-limited toward it: each moves at most {@code ρ}
 * from the last batch's share (from 1/G at the start), then the shares are brought back to sum 1
 * within those bounds. They are realised exactly per batch as group quotas ({@link GroupQuotas},
 * exact mode), over a cluster-balanced split.
 *
 * <p>Departure from Cai et al., and why: their learning curves describe a model retrained on the
 * accumulated data, so the order of the data does not matter. A trainer that takes one step per
 * batch sees the batches in turn instead: under worst-group the greedy split puts whole batches on
 * one group, the model drifts to that group's labels, and the groups no longer sampled, whose
 * curves still promise a low loss, are forgotten (Fashion-MNIST, groups derived from the labels:
 * accuracy 0.19 against uniform's 0.74, three groups at 0). The floor ε keeps that share of every
 * batch in the pool's proportions; {@code equitable.floor} = 0 gives the paper's allocation.
 *
 * <p>Parameters: {@code equitable.attribute} (required), {@code equitable.objective} ({@code
 * worst-group}, default, or {@code mean-unfairness}), {@code equitable.lambda} λ (default 1),
 * {@code equitable.max.share.change} ρ (default 0.1), {@code equitable.costs} ({@code
 * attr=value:cost,...}, default 1 each), {@code equitable.prior.exponent} a₀ used before a curve
 * can be fitted (default 0.5), {@code equitable.floor} ε in [0, 1] (default 0.5).
 *
 * <p>State per value v: {@code n.v}, {@code share.v}, and the fit's sums {@code fw.v, fx.v, fy.v,
 * fxx.v, fxy.v, lastN.v, lastLoss.v}.
 */
public final class EquitablePolicy implements SelectionPolicy {

  public static final String NAME = "equitable";
  public static final String ATTRIBUTE = "equitable.attribute";
  public static final String OBJECTIVE = "equitable.objective";
  public static final String OBJECTIVE_DEFAULT = "worst-group";
  public static final String LAMBDA = "equitable.lambda";
  public static final double LAMBDA_DEFAULT = 1.0;
  public static final String MAX_SHARE_CHANGE = "equitable.max.share.change";
  public static final double MAX_SHARE_CHANGE_DEFAULT = 0.1;
  public static final String COSTS = "equitable.costs";
  public static final String PRIOR_EXPONENT = "equitable.prior.exponent";
  public static final double PRIOR_EXPONENT_DEFAULT = 0.5;
  public static final String FLOOR = "equitable.floor";
  public static final double FLOOR_DEFAULT = 0.5;

  private final ClusterBalancedPolicy clusters = new ClusterBalancedPolicy();

  @Override
  public String name() {
    return NAME;
  }

  /** The parsed parameters. */
  record Settings(
      String attribute,
      boolean worstGroup,
      double lambda,
      double maxChange,
      Map<String, Double> costs,
      double priorA,
      double floor) {

    static Settings of(Map<String, String> params) {
      Params p = new Params(params);
      String attribute = p.string(ATTRIBUTE, null);
      if (attribute == null) {
        throw new IllegalArgumentException(ATTRIBUTE + " is required (the group attribute)");
      }
      String objective = p.string(OBJECTIVE, OBJECTIVE_DEFAULT);
      if (!objective.equals("worst-group") && !objective.equals("mean-unfairness")) {
        throw new IllegalArgumentException(
            OBJECTIVE + " must be worst-group or mean-unfairness: " + objective);
      }
      Map<String, Double> costs = new TreeMap<>();
      if (p.has(COSTS)) {
        for (String e : p.string(COSTS, "").split(",")) {
          int colon = e.lastIndexOf(':');
          String key = colon < 0 ? "" : e.substring(0, colon).trim();
          if (!key.startsWith(attribute + "=")) {
            throw new IllegalArgumentException(
                COSTS + ": expected " + attribute + "=value:cost entries, got '" + e + "'");
          }
          double cost;
          try {
            cost = Double.parseDouble(e.substring(colon + 1).trim());
          } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(COSTS + ": '" + e + "' has no number", ex);
          }
          if (!(cost > 0 && cost < 1e12)) {
            throw new IllegalArgumentException(COSTS + ": cost in '" + e + "' must be > 0");
          }
          costs.put(key.substring(attribute.length() + 1), cost);
        }
      }
      return new Settings(
          attribute,
          objective.equals("worst-group"),
          p.number(LAMBDA, LAMBDA_DEFAULT, 0, 1e6),
          p.number(MAX_SHARE_CHANGE, MAX_SHARE_CHANGE_DEFAULT, 0, 1),
          costs,
          p.number(PRIOR_EXPONENT, PRIOR_EXPONENT_DEFAULT, 0, 10),
          p.number(FLOOR, FLOOR_DEFAULT, 0, 1));
    }
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Settings.of(params);
    if (GroupQuotas.parse(params) != null) {
      throw new IllegalArgumentException(
          "equitable sets the group shares itself; drop "
              + GroupQuotas.TARGETS
              + " / "
              + GroupQuotas.MINIMUM);
    }
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Settings s = Settings.of(state.getSpec().getParams());
    Map<String, Double> losses = FeedbackLosses.byGroup(feedback, s.attribute());
    if (losses.isEmpty()) {
      return;
    }
    PolicyState ps = new PolicyState(state);
    for (Map.Entry<String, Double> e : losses.entrySet()) {
      String v = e.getKey();
      double n = ps.get(PolicyState.key("n", v), 0);
      if (n < 1 || e.getValue() <= 0) {
        continue;
      }
      LearningCurve.Sums sums = sums(ps, v).add(n, e.getValue(), n);
      ps.put(PolicyState.key("fw", v), sums.w());
      ps.put(PolicyState.key("fx", v), sums.x());
      ps.put(PolicyState.key("fy", v), sums.y());
      ps.put(PolicyState.key("fxx", v), sums.xx());
      ps.put(PolicyState.key("fxy", v), sums.xy());
      ps.put(PolicyState.key("lastN", v), sums.lastN());
      ps.put(PolicyState.key("lastLoss", v), sums.lastLoss());
    }
    ps.save();
  }

  private static LearningCurve.Sums sums(PolicyState ps, String v) {
    return new LearningCurve.Sums(
        ps.get(PolicyState.key("fw", v), 0),
        ps.get(PolicyState.key("fx", v), 0),
        ps.get(PolicyState.key("fy", v), 0),
        ps.get(PolicyState.key("fxx", v), 0),
        ps.get(PolicyState.key("fxy", v), 0),
        ps.get(PolicyState.key("lastN", v), 0),
        ps.get(PolicyState.key("lastLoss", v), 0));
  }

  @Override
  public Draw draw(
      TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed) {
    return draw(state, PlanContext.ofSizes(poolSizes), batchSize, batchSeed);
  }

  @Override
  public Draw draw(TrainerState state, PlanContext context, int batchSize, long batchSeed) {
    Settings s = Settings.of(state.getSpec().getParams());
    TreeMap<String, Long> supply = supply(context, s.attribute());
    Draw base = clusters.draw(state, context.poolSizes(), batchSize, batchSeed);
    if (supply.isEmpty()) {
      return base;
    }
    PolicyState ps = new PolicyState(state);
    Map<String, Double> shares = shares(s, ps, supply, batchSize);
    Map<String, Double> keyed = new LinkedHashMap<>();
    shares.forEach(
        (v, share) -> {
          keyed.put(s.attribute() + "=" + v, share);
          ps.put(PolicyState.key("share", v), share);
          ps.add(PolicyState.key("n", v), share * batchSize);
        });
    ps.save();
    return base.withGroupShares(keyed);
  }

  /** Pooled items per value of the attribute, over all clusters. */
  static TreeMap<String, Long> supply(PlanContext context, String attribute) {
    TreeMap<String, Long> out = new TreeMap<>();
    String prefix = attribute + "=";
    context
        .groupCounts()
        .forEach(
            (cluster, counts) -> {
              if (context.poolSizes().containsKey(cluster)) {
                counts.forEach(
                    (key, n) -> {
                      if (key.startsWith(prefix) && n > 0) {
                        out.merge(key.substring(prefix.length()), n, Long::sum);
                      }
                    });
              }
            });
    return out;
  }

  /** The rate-limited shares for the next batch, by value. */
  static Map<String, Double> shares(
      Settings s, PolicyState ps, TreeMap<String, Long> supply, int batch) {
    List<String> values = new ArrayList<>(supply.keySet());
    int g = values.size();
    LearningCurve[] curves = new LearningCurve[g];
    double[] seen = new double[g];
    double[] cost = new double[g];
    long[] cap = new long[g];
    boolean fresh = true;
    for (int j = 0; j < g; j++) {
      String v = values.get(j);
      curves[j] = LearningCurve.fit(sums(ps, v), s.priorA());
      seen[j] = ps.get(PolicyState.key("n", v), 0);
      cost[j] = s.costs().getOrDefault(v, 1.0);
      cap[j] = supply.get(v);
      fresh &= !ps.has(PolicyState.key("share", v));
    }
    int[] m = greedy(s, curves, seen, cost, cap, batch);
    double total = 0;
    for (long c : cap) {
      total += c;
    }
    double[] share = new double[g];
    double[] lo = new double[g];
    double[] hi = new double[g];
    for (int j = 0; j < g; j++) {
      // the target mixes the greedy split with the pool's own mix (what uniform would draw)
      share[j] = (1 - s.floor()) * m[j] / (double) batch + s.floor() * cap[j] / total;
      double prev = fresh ? 1.0 / g : ps.get(PolicyState.key("share", values.get(j)), 0);
      lo[j] = Math.max(0, prev - s.maxChange());
      hi[j] = Math.min(1, prev + s.maxChange());
    }
    project(share, lo, hi);
    Map<String, Double> out = new LinkedHashMap<>();
    for (int j = 0; j < g; j++) {
      out.put(values.get(j), share[j]);
    }
    return out;
  }

  /** Greedy allocation of {@code batch} items by marginal objective drop per cost. */
  static int[] greedy(
      Settings s, LearningCurve[] curves, double[] seen, double[] cost, long[] cap, int batch) {
    int g = curves.length;
    int[] m = new int[g];
    int step = Math.max(1, (batch + 99) / 100);
    double[] loss = new double[g];
    for (int j = 0; j < g; j++) {
      loss[j] = curves[j].at(seen[j]);
    }
    int assigned = 0;
    while (assigned < batch) {
      double current = objective(s, loss);
      int best = -1;
      double bestDrop = 0;
      int bestOwn = -1;
      double bestOwnDrop = 0;
      int fewest = -1;
      int worst = -1;
      for (int j = 0; j < g; j++) {
        int inc = (int) Math.min(Math.min(step, cap[j] - m[j]), batch - assigned);
        if (inc <= 0) {
          continue;
        }
        double after = curves[j].at(seen[j] + m[j] + inc);
        double saved = loss[j];
        loss[j] = after;
        double drop = (current - objective(s, loss)) / (cost[j] * inc);
        loss[j] = saved;
        double own = (saved - after) / (cost[j] * inc);
        if (drop > bestDrop + 1e-15) {
          bestDrop = drop;
          best = j;
        }
        if (own > bestOwnDrop + 1e-15) {
          bestOwnDrop = own;
          bestOwn = j;
        }
        if (fewest < 0 || seen[j] + m[j] < seen[fewest] + m[fewest]) {
          fewest = j;
        }
        if (worst < 0 || loss[j] > loss[worst]) {
          worst = j;
        }
      }
      // Under worst-group, a step that lowers no maximum (ties at the top, a flat worst curve)
      // still belongs to the worst group: the steepest own drop would favour easy groups.
      int pick =
          best >= 0 ? best : s.worstGroup() && worst >= 0 ? worst : bestOwn >= 0 ? bestOwn : fewest;
      if (pick < 0) {
        break;
      }
      int inc = (int) Math.min(Math.min(step, cap[pick] - m[pick]), batch - assigned);
      m[pick] += inc;
      assigned += inc;
      loss[pick] = curves[pick].at(seen[pick] + m[pick]);
    }
    return m;
  }

  static double objective(Settings s, double[] loss) {
    int g = loss.length;
    if (s.worstGroup()) {
      double max = Double.NEGATIVE_INFINITY;
      for (double l : loss) {
        max = Math.max(max, l);
      }
      return max;
    }
    double sum = 0;
    for (double l : loss) {
      sum += l;
    }
    double unfair = 0;
    if (g > 1) {
      for (double l : loss) {
        unfair += Math.max(0, l - (sum - l) / (g - 1));
      }
    }
    return sum / g + s.lambda() * unfair / g;
  }

  /**
   * Clamps each share into [lo, hi], then moves the total back to 1 by spreading the difference
   * evenly over the shares that still have room (a continuous water-filling).
   */
  static void project(double[] share, double[] lo, double[] hi) {
    int g = share.length;
    double sum = 0;
    for (int j = 0; j < g; j++) {
      share[j] = Math.min(hi[j], Math.max(lo[j], share[j]));
      sum += share[j];
    }
    for (int pass = 0; pass <= g && Math.abs(1 - sum) > 1e-12; pass++) {
      double diff = 1 - sum;
      int open = 0;
      for (int j = 0; j < g; j++) {
        if (diff > 0 ? share[j] < hi[j] : share[j] > lo[j]) {
          open++;
        }
      }
      if (open == 0) {
        break;
      }
      double each = diff / open;
      sum = 0;
      for (int j = 0; j < g; j++) {
        if (diff > 0 ? share[j] < hi[j] : share[j] > lo[j]) {
          share[j] = Math.min(hi[j], Math.max(lo[j], share[j] + each));
        }
        sum += share[j];
      }
    }
  }
}
