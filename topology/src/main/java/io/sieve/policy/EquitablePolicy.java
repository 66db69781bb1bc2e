package io.sieve.policy;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Group-equitable budgets from learning curves (Cai et al., "Adaptive Sampling Strategies to
 * Construct Equitable Training Datasets"; Slice Tuner), steered by the trainer's evaluation rounds.
 *
 * <p><b>Groups</b> are the values of one metadata attribute ({@code equitable.attribute}, any key
 * of the examples' {@code groups}, not only one derived from the label), as counted in the pool
 * ({@link GroupSupply}: the 64 largest values; the rest and items without the attribute are
 * "other", held at their pool share).
 *
 * <p><b>Curves.</b> Each group g has a learning curve {@code L_g(n) = c_g + b_g·n^(−a_g)} with an
 * irreducible floor ({@link LearningCurve}), fitted to the <em>validation</em> losses of g that the
 * trainer reports in its evaluation rounds ({@code TrainerFeedback.evaluation.groupLosses}),
 * against {@code n_g}, the examples of g trained on so far: the sum of the rounds' {@code
 * trainedGroupCounts}, or, from a trainer that does not report them, what Sieve planned of g since
 * the previous round. The last {@code equitable.points} points per group are kept. Training losses
 * are not used: they are highest on noise and are not what the objective is about.
 *
 * <p><b>Shares.</b> Only an evaluation round changes them (a round repeated after a restart is
 * ignored). With {@code p_g} the pool's share of g and {@code s'_g} the last round's share (at
 * first {@code p_g}), the new shares s solve
 *
 * <pre>
 *   minimise  max_g L_g(n_g + s_g·B)                       (worst-group)
 *        or   mean_g L_g + λ·mean_g max(0, L_g − mean_{h≠g} L_h)   (mean-unfairness)
 *   subject to  Σ s_g = 1 − p_other,
 *               max(μ·p_g, p_g − δ) ≤ s_g ≤ p_g + δ          (bounds around the pool's mix)
 *               |s_g − s'_g| ≤ ρ                             (rate limit per round)
 * </pre>
 *
 * over a horizon of {@code B = H × E} examples, E the examples trained in the round just closed.
 * Worst-group is solved by min-max water-filling: the level λ is found by bisection such that
 * {@code Σ_g clamp((N_g(λ) − n_g)/B, lo_g, hi_g)} uses the budget, {@code N_g(λ)} the examples g's
 * curve needs to come down to λ (infinite at or below its floor). A group whose curve predicts no
 * gain over the horizon (flat, already at its floor, or known by a single point) gives no reason to
 * move and keeps its last share within its bounds: data is neither poured into what it cannot learn
 * nor taken from what it has learnt (a trainer that follows its batches would forget it).
 * Mean-unfairness is solved by greedy water-filling in steps of 1/200 of the free share, each step
 * to the group whose step lowers the objective most per unit cost ({@code equitable.costs}); the
 * objective is convex in the shares for convex curves, so the greedy split is optimal up to a step.
 *
 * <p><b>Batches</b> draw each group's count in proportion to {@code p_g·s_g/p_g(round)} over the
 * current pool (so a shifting pool mix carries the chosen lift along), capped at each group's
 * supply with the excess water-filled, rounded so that the expected count is exact; within a group
 * the draw is uniform (the RS2 cursor picks of {@link UniformPolicy} are the preferred candidates,
 * and the pool tops up from the group's items). Without any evaluation round every ratio is 1: the
 * batches follow the pool's own mix and never drift.
 *
 * <p>Why not the greedy per-batch form: it was built for a model retrained on everything collected;
 * a trainer that follows its latest batches forgets the groups out of favour, the fitted curves of
 * those groups flatten, and the free share moves to one group at a time (measured: 15 to 30
 * accuracy points lost, and a worse worst group). Hence the bounds around the pool's mix, the
 * per-round rate limit and validation losses rather than training losses.
 *
 * <p>Parameters: {@code equitable.attribute} (required), {@code equitable.objective} ({@code
 * worst-group}, default, or {@code mean-unfairness}), {@code equitable.lambda} λ (1), {@code
 * equitable.horizon} H in rounds (4), {@code equitable.max.share.change} ρ per round (0.05), {@code
 * equitable.max.deviation} δ (0.5), {@code equitable.min.fraction} μ (0.5), {@code equitable.costs}
 * ({@code attr=value:cost,...}, 1 each; mean-unfairness only), {@code equitable.prior.exponent} a₀
 * for a group with fewer than three points (0: a group moves only once its losses show its curve
 * falling), {@code equitable.points} (16).
 *
 * <p>State per value v: {@code n.v} (trained so far), {@code planned.v} and {@code mark.v} (planned
 * in all, and at the last round), {@code share.v} and {@code ratio.v} (the round's share and its
 * ratio to the pool share), {@code pts.v} and the points {@code pn.i.v}, {@code pl.i.v}; and {@code
 * round} (last evaluation round), {@code perRound} (E).
 */
public final class EquitablePolicy implements GroupSharePolicy {

  public static final String NAME = "equitable";
  public static final String ATTRIBUTE = "equitable.attribute";
  public static final String OBJECTIVE = "equitable.objective";
  public static final String OBJECTIVE_DEFAULT = "worst-group";
  public static final String LAMBDA = "equitable.lambda";
  public static final double LAMBDA_DEFAULT = 1.0;
  public static final String HORIZON = "equitable.horizon";
  public static final int HORIZON_DEFAULT = 4;
  public static final String MAX_SHARE_CHANGE = "equitable.max.share.change";
  public static final double MAX_SHARE_CHANGE_DEFAULT = 0.05;
  public static final String MAX_DEVIATION = "equitable.max.deviation";
  public static final double MAX_DEVIATION_DEFAULT = 0.5;
  public static final String MIN_FRACTION = "equitable.min.fraction";
  public static final double MIN_FRACTION_DEFAULT = 0.5;
  public static final String COSTS = "equitable.costs";
  public static final String PRIOR_EXPONENT = "equitable.prior.exponent";
  public static final double PRIOR_EXPONENT_DEFAULT = 0.0;
  public static final String POINTS = "equitable.points";
  public static final int POINTS_DEFAULT = 16;

  /** Salt of the random stream that rounds a batch's group counts. */
  private static final long SALT = 0x6571756974L;

  /** Relative gain over the horizon below which a curve counts as flat. */
  private static final double FLAT = 1e-3;

  private final UniformPolicy uniform = new UniformPolicy();

  @Override
  public String name() {
    return NAME;
  }

  /** The parsed parameters. */
  record Settings(
      String attribute,
      boolean worstGroup,
      double lambda,
      int horizon,
      double maxChange,
      double maxDeviation,
      double minFraction,
      Map<String, Double> costs,
      double priorA,
      int points) {

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
          p.integer(HORIZON, HORIZON_DEFAULT, 1, 1000),
          p.number(MAX_SHARE_CHANGE, MAX_SHARE_CHANGE_DEFAULT, 0, 1),
          p.number(MAX_DEVIATION, MAX_DEVIATION_DEFAULT, 0, 1),
          p.number(MIN_FRACTION, MIN_FRACTION_DEFAULT, 0, 1),
          costs,
          p.number(PRIOR_EXPONENT, PRIOR_EXPONENT_DEFAULT, 0, 10),
          p.integer(POINTS, POINTS_DEFAULT, 2, 64));
    }
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Settings.of(params);
    GroupSharePolicy.refuseGroupTargets("equitable", params);
  }

  @Override
  public boolean steeredByFeedback() {
    return true;
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    EvaluationRound round = feedback.getEvaluation();
    if (round == null) {
      return;
    }
    Settings s = Settings.of(state.getSpec().getParams());
    PolicyState ps = new PolicyState(state);
    if (ps.has("round") && round.getRound() <= ps.get("round", 0)) {
      return;
    }
    ps.put("round", round.getRound());
    TreeMap<String, Double> trained = byValue(round.getTrainedGroupCounts(), s.attribute());
    boolean reported = !trained.isEmpty();
    TreeSet<String> values = new TreeSet<>();
    for (String key : ps.view().keySet()) {
      if (key.startsWith("planned.")) {
        values.add(key.substring("planned.".length()));
      } else if (key.startsWith("n.")) {
        values.add(key.substring("n.".length()));
      }
    }
    // a value the trainer reports is admitted while fewer than the cap are known, so a trainer
    // that reports thousands of values cannot grow the state without bound
    for (String v : trained.keySet()) {
      if (values.size() < 2 * GroupSupply.MAX_VALUES) {
        values.add(v);
      }
    }
    double examples = 0;
    for (String v : values) {
      double planned = ps.get(PolicyState.key("planned", v), 0);
      double delta =
          reported ? trained.getOrDefault(v, 0.0) : planned - ps.get(PolicyState.key("mark", v), 0);
      ps.put(PolicyState.key("mark", v), planned);
      if (delta > 0) {
        ps.add(PolicyState.key("n", v), delta);
        examples += delta;
      }
    }
    if (examples > 0) {
      ps.put("perRound", examples);
    }
    TreeMap<String, Double> losses = byValue(round.getGroupLosses(), s.attribute());
    int tracked = 0;
    for (String key : ps.view().keySet()) {
      if (key.startsWith("pts.")) {
        tracked++;
      }
    }
    for (Map.Entry<String, Double> e : losses.entrySet()) {
      String v = e.getKey();
      double n = ps.get(PolicyState.key("n", v), 0);
      double loss = e.getValue();
      if (n < 1 || !(loss > 0)) {
        continue;
      }
      String count = PolicyState.key("pts", v);
      if (!ps.has(count)) {
        if (tracked >= GroupSupply.MAX_VALUES) {
          continue;
        }
        tracked++;
      }
      int k = (int) ps.get(count, 0);
      ps.put("pn." + (k % s.points()) + "." + v, n);
      ps.put("pl." + (k % s.points()) + "." + v, loss);
      ps.put(count, k + 1);
    }
    GroupSupply supply = GroupSupply.of(context, s.attribute());
    if (!supply.values().isEmpty() && supply.total() > 0 && ps.get("perRound", 0) > 0) {
      decide(s, ps, supply);
    }
    ps.save();
  }

  /** The finite values of {@code attr=value} keys, by value. */
  private static <N extends Number> TreeMap<String, Double> byValue(
      Map<String, N> keyed, String attribute) {
    TreeMap<String, Double> out = new TreeMap<>();
    String prefix = attribute + "=";
    keyed.forEach(
        (k, x) -> {
          if (x != null && Double.isFinite(x.doubleValue()) && k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), x.doubleValue());
          }
        });
    return out;
  }

  /** One group's stored points. */
  static LearningCurve curve(PolicyState ps, String v, Settings s) {
    int k = (int) Math.min(ps.get(PolicyState.key("pts", v), 0), s.points());
    double[] n = new double[k];
    double[] loss = new double[k];
    for (int i = 0; i < k; i++) {
      n[i] = ps.get("pn." + i + "." + v, 0);
      loss[i] = ps.get("pl." + i + "." + v, 0);
    }
    return LearningCurve.fit(n, loss, s.priorA());
  }

  /** Chooses the shares for the next rounds and stores them with their ratios to the pool's. */
  static void decide(Settings s, PolicyState ps, GroupSupply supply) {
    List<String> values = new ArrayList<>(supply.values().keySet());
    int g = values.size();
    double total = supply.total();
    double mass = 1 - supply.other() / total;
    double[] p = new double[g];
    double[] prev = new double[g];
    double[] lo = new double[g];
    double[] hi = new double[g];
    double[] n = new double[g];
    double[] cost = new double[g];
    LearningCurve[] curves = new LearningCurve[g];
    double prevSum = 0;
    for (int j = 0; j < g; j++) {
      String v = values.get(j);
      p[j] = supply.values().get(v) / total;
      prev[j] = ps.has(PolicyState.key("share", v)) ? ps.get(PolicyState.key("share", v), 0) : p[j];
      prevSum += prev[j];
      n[j] = ps.get(PolicyState.key("n", v), 0);
      cost[j] = s.costs().getOrDefault(v, 1.0);
      curves[j] = curve(ps, v, s);
    }
    boolean limited = true;
    double loSum = 0;
    double hiSum = 0;
    for (int j = 0; j < g; j++) {
      // last round's shares over today's named mass (the pool and its values may have changed)
      prev[j] = prevSum > 0 ? prev[j] * mass / prevSum : p[j];
      double lower = Math.max(s.minFraction() * p[j], p[j] - s.maxDeviation());
      double upper = Math.min(mass, p[j] + s.maxDeviation());
      lo[j] = Math.max(lower, prev[j] - s.maxChange());
      hi[j] = Math.min(upper, prev[j] + s.maxChange());
      loSum += lo[j];
      hiSum += hi[j];
      if (lo[j] > hi[j]) {
        limited = false;
      }
    }
    if (!limited || loSum > mass + 1e-12 || hiSum < mass - 1e-12) {
      // the pool's mix moved further than a round's change allows: the bounds alone hold
      for (int j = 0; j < g; j++) {
        lo[j] = Math.max(s.minFraction() * p[j], p[j] - s.maxDeviation());
        hi[j] = Math.min(mass, p[j] + s.maxDeviation());
      }
    }
    double budget = s.horizon() * ps.get("perRound", 0);
    for (int j = 0; j < g; j++) {
      // a curve that predicts no gain over the horizon (flat, at its floor, or a single point)
      // gives no reason to move: the group keeps its share, so data is neither poured into what
      // it cannot learn nor taken from what it has learnt (which a trainer would forget)
      double most = curves[j].at(n[j] + lo[j] * budget);
      double least = curves[j].at(n[j] + hi[j] * budget);
      if (!curves[j].falls() || most - least <= FLAT * most) {
        lo[j] = Math.min(hi[j], Math.max(lo[j], prev[j]));
        hi[j] = lo[j];
      }
    }
    double[] share =
        s.worstGroup()
            ? minMax(curves, n, budget, lo, hi, mass)
            : greedy(s, curves, n, cost, budget, lo, hi, mass);
    project(share, lo, hi, mass);
    for (int j = 0; j < g; j++) {
      String v = values.get(j);
      ps.put(PolicyState.key("share", v), share[j]);
      ps.put(PolicyState.key("ratio", v), share[j] / p[j]);
    }
  }

  /**
   * Min-max water-filling: the shares within [lo, hi], summing to {@code mass}, that bring the
   * highest predicted loss after {@code budget} more examples down the furthest. A group with
   * {@code lo = hi} (or a curve that does not fall) is held at {@code lo}.
   */
  static double[] minMax(
      LearningCurve[] curves, double[] n, double budget, double[] lo, double[] hi, double mass) {
    int g = curves.length;
    double[] share = new double[g];
    boolean[] free = new boolean[g];
    double left = mass;
    double freeLo = 0;
    double freeHi = 0;
    for (int j = 0; j < g; j++) {
      free[j] = curves[j].falls() && hi[j] > lo[j];
      if (free[j]) {
        freeLo += lo[j];
        freeHi += hi[j];
      } else {
        share[j] = lo[j];
        left -= share[j];
      }
    }
    if (freeHi <= left || freeLo >= left) {
      for (int j = 0; j < g; j++) {
        if (free[j]) {
          share[j] = freeHi <= left ? hi[j] : lo[j];
        }
      }
      return share;
    }
    // the level: Σ s_g(λ) falls as λ rises; at the lowest reachable loss it is Σ hi, at the
    // highest unavoidable loss Σ lo
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < g; j++) {
      if (free[j]) {
        low = Math.min(low, curves[j].at(n[j] + hi[j] * budget));
        high = Math.max(high, curves[j].at(n[j] + lo[j] * budget));
      }
    }
    for (int it = 0; it < 100; it++) {
      double mid = 0.5 * (low + high);
      if (used(curves, n, budget, lo, hi, free, mid) > left) {
        low = mid;
      } else {
        high = mid;
      }
    }
    for (int j = 0; j < g; j++) {
      if (free[j]) {
        share[j] = level(curves[j], n[j], budget, lo[j], hi[j], high);
      }
    }
    return share;
  }

  private static double used(
      LearningCurve[] curves,
      double[] n,
      double budget,
      double[] lo,
      double[] hi,
      boolean[] free,
      double level) {
    double sum = 0;
    for (int j = 0; j < curves.length; j++) {
      if (free[j]) {
        sum += level(curves[j], n[j], budget, lo[j], hi[j], level);
      }
    }
    return sum;
  }

  /** The share that brings one group's predicted loss down to {@code level}, within its bounds. */
  private static double level(
      LearningCurve curve, double n, double budget, double lo, double hi, double level) {
    double need = curve.examplesFor(level) - n;
    double share = budget > 0 ? need / budget : Double.POSITIVE_INFINITY;
    return Math.min(hi, Math.max(lo, share));
  }

  /** Greedy water-filling of the free share by the objective's drop per unit cost. */
  static double[] greedy(
      Settings s,
      LearningCurve[] curves,
      double[] n,
      double[] cost,
      double budget,
      double[] lo,
      double[] hi,
      double mass) {
    int g = curves.length;
    double[] share = lo.clone();
    double left = mass;
    for (double x : share) {
      left -= x;
    }
    double step = Math.max(left / 200, 1e-6);
    double[] loss = new double[g];
    for (int j = 0; j < g; j++) {
      loss[j] = curves[j].at(n[j] + share[j] * budget);
    }
    while (left > 1e-12) {
      double current = objective(s, loss);
      int best = -1;
      double bestDrop = 0;
      for (int j = 0; j < g; j++) {
        double inc = Math.min(Math.min(step, hi[j] - share[j]), left);
        if (inc <= 1e-15) {
          continue;
        }
        double saved = loss[j];
        loss[j] = curves[j].at(n[j] + (share[j] + inc) * budget);
        double drop = (current - objective(s, loss)) / (cost[j] * inc);
        loss[j] = saved;
        if (drop > bestDrop + 1e-15) {
          bestDrop = drop;
          best = j;
        }
      }
      if (best < 0) {
        break; // nothing lowers the objective: project() spreads the rest evenly
      }
      double inc = Math.min(Math.min(step, hi[best] - share[best]), left);
      share[best] += inc;
      left -= inc;
      loss[best] = curves[best].at(n[best] + share[best] * budget);
    }
    return share;
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
   * Clamps each share into [lo, hi], then moves the total to {@code mass} by spreading the
   * difference evenly over the shares that still have room (a continuous water-filling).
   */
  static void project(double[] share, double[] lo, double[] hi, double mass) {
    int g = share.length;
    double sum = 0;
    for (int j = 0; j < g; j++) {
      share[j] = Math.min(hi[j], Math.max(lo[j], share[j]));
      sum += share[j];
    }
    for (int pass = 0; pass <= g && Math.abs(mass - sum) > 1e-12; pass++) {
      boolean up = sum < mass;
      int open = 0;
      for (int j = 0; j < g; j++) {
        if (up ? share[j] < hi[j] - 1e-15 : share[j] > lo[j] + 1e-15) {
          open++;
        }
      }
      if (open == 0) {
        break;
      }
      double each = (mass - sum) / open;
      sum = 0;
      for (int j = 0; j < g; j++) {
        if (up ? share[j] < hi[j] - 1e-15 : share[j] > lo[j] + 1e-15) {
          share[j] = Math.min(hi[j], Math.max(lo[j], share[j] + each));
        }
        sum += share[j];
      }
    }
  }

  @Override
  public Draw draw(TrainerState state, PlanContext context, int batchSize, long batchSeed) {
    Settings s = Settings.of(state.getSpec().getParams());
    PolicyState ps = new PolicyState(state);
    return GroupSupply.drawShares(
        uniform,
        state,
        context,
        s.attribute(),
        batchSize,
        batchSeed,
        SALT,
        supply -> {
          Map<String, Double> weight = new HashMap<>();
          supply
              .values()
              .forEach((v, count) -> weight.put(v, count * ps.get(PolicyState.key("ratio", v), 1)));
          return weight;
        },
        GroupSupply::other,
        counts -> {
          // values outside today's named ones keep their counters; admitting new ones is capped
          long known = ps.view().keySet().stream().filter(k -> k.startsWith("planned.")).count();
          for (Map.Entry<String, Integer> e : counts.entrySet()) {
            String key = PolicyState.key("planned", e.getKey());
            if (ps.has(key) || known++ < 2 * GroupSupply.MAX_VALUES) {
              ps.add(key, e.getValue());
            }
          }
          ps.save();
        });
  }
}
