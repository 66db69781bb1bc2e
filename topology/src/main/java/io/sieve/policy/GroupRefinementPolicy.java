package io.sieve.policy;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Iterative refinement (Diversify and Conquer) over the values of one group attribute instead of
 * clusters: the arms are, say, the sources or vendors of a feed, and a source whose examples the
 * model learns less from is drawn less.
 *
 * <p>Why not clusters: a low-quality source (a vendor whose annotators confuse two classes) sends
 * ordinary-looking examples that share clusters with everybody else's, so a per-cluster reward
 * dilutes it away; the source itself is the unit that is good or bad.
 *
 * <p><b>Reward</b>: learnability per value ({@code TrainerFeedback.groupLearnability}, keyed {@code
 * attribute=value}: loss before the trainer's step minus after it, or minus a reference model's),
 * averaged over a round ({@code policy.round.batches} acknowledged batches, or the trainer's
 * evaluation round when it sends one). Not raw loss: it is highest on mislabelled examples, so a
 * loss-seeking update would favour the very source it should drop. A round's means are put on the
 * robust [0, 1] scale of {@link Rewards#scaled} and thresholded by {@link RewardEvidence} (averaged
 * over {@code refinement.memory} rounds, moving only by what stands out beyond λ = {@code
 * refinement.evidence} standard errors of the rounds' noise), as {@code iterative-refinement} does
 * with clusters.
 *
 * <p><b>Update</b>, per closed round, the paper's multiplicative {@code w_v ← w_v·e^{r̃_v/τ}}
 * (normalised; τ = {@code refinement.temperature}) from the pool's mix π, then optionally mixed
 * back towards it as {@code iterative-refinement} does, {@code w ← (1 − ε)·w + ε·π} (ε = {@code
 * refinement.floor}). The default here is ε = 0, the paper's update, under which a persistent
 * difference compounds: on S2 it halves the noisy sources' share, but on a clean stream whose parts
 * of speech differ lastingly in reducible loss the online trainer lost 5.8 points at budget 5,120
 * as the weights ran to the most learnable part. ε > 0 bounds that: a value's weight then settles
 * where its edge and the pull back balance, never below ε·π_v, at the price of a weaker effect
 * where one is wanted. Stored as {@code ρ_v = ln(w_v/π_v)}. A value gone from the pool loses its
 * state.
 *
 * <p><b>Batches</b> split over the values in proportion to {@code (1 − η)·w_v + η·π_v}, {@code w_v
 * ∝ π_v·e^{ρ_v}} and π_v the reference mix (the pool's share of v; see Start), with η = {@code
 * refinement.explore} (0.1) so that a value the evidence has pushed down is still drawn and can
 * recover; items without the attribute (and values beyond the 64 largest) form "other", held at its
 * pool share. Each value's part is capped at its supply with the excess water-filled ({@link
 * GroupSupply#split}); within a value the draw is uniform ({@link UniformPolicy}'s RS2 picks
 * preferred). Without a closed round every ρ is 0 and the batches follow the pool's mix.
 *
 * <p><b>Start</b> ({@code refinement.start}): π is the pool's mix ({@code pool}, the default), or
 * 1/K over the K named values ({@code equal}, the paper's w⁰): a long tail's small values, which
 * the pool's mix would draw a few times a run, too few to score, then start level with the rest,
 * and the exploration share and the floor pull towards the equal mix.
 *
 * <p>Parameters: {@code refinement.attribute} (required), {@code refinement.start} ({@code pool}),
 * {@code refinement.temperature} (1), {@code refinement.floor} (0), {@code refinement.memory} (10),
 * {@code refinement.evidence} (2), {@code refinement.explore} (0.1), {@code policy.round.batches}
 * (10).
 *
 * <p>State: the open round's sums {@code gl.sum.<v>}, {@code gl.n.<v>}, {@code gl.batches}; {@code
 * rho.<v>}; the evidence ({@link RewardEvidence}).
 */
public final class GroupRefinementPolicy implements GroupSharePolicy {

  public static final String NAME = "group-refinement";
  public static final String ATTRIBUTE = "refinement.attribute";

  /** ε of {@code refinement.floor} here: 0, the paper's update (see the class comment). */
  public static final double FLOOR_DEFAULT = 0;

  private static final long SALT = 0x67726566L;
  private static final double RHO_BOUND = 50;

  private final UniformPolicy uniform = new UniformPolicy();

  @Override
  public String name() {
    return NAME;
  }

  /** The parameters, checked. */
  record Settings(
      String attribute,
      double temperature,
      double memory,
      double evidence,
      double explore,
      double floor,
      boolean equalStart,
      int roundBatches) {

    static Settings of(Map<String, String> params) {
      Params p = new Params(params);
      String attribute = p.string(ATTRIBUTE, null);
      if (attribute == null || attribute.isBlank()) {
        throw new IllegalArgumentException(
            ATTRIBUTE + " is required (the attribute whose values are the arms, e.g. source)");
      }
      if (attribute.contains("=")) {
        throw new IllegalArgumentException(ATTRIBUTE + " must not contain '=': " + attribute);
      }
      return new Settings(
          attribute,
          p.number(
              IterativeRefinementPolicy.TEMPERATURE,
              IterativeRefinementPolicy.TEMPERATURE_DEFAULT,
              1e-6,
              1e6),
          p.number(
              IterativeRefinementPolicy.MEMORY, IterativeRefinementPolicy.MEMORY_DEFAULT, 1, 1e6),
          p.number(
              IterativeRefinementPolicy.EVIDENCE,
              IterativeRefinementPolicy.EVIDENCE_DEFAULT,
              0,
              100),
          p.number(
              IterativeRefinementPolicy.EXPLORE, IterativeRefinementPolicy.EXPLORE_DEFAULT, 0, 1),
          p.number(IterativeRefinementPolicy.FLOOR, FLOOR_DEFAULT, 0, 1),
          IterativeRefinementPolicy.startsEqual(params),
          Rewards.roundBatches(params));
    }
  }

  @Override
  public void checkParams(Map<String, String> params) {
    Settings.of(params);
    GroupSharePolicy.refuseGroupTargets(NAME, params);
  }

  @Override
  public boolean steeredByFeedback() {
    return true;
  }

  @Override
  public void onFeedback(TrainerFeedback feedback, TrainerState state, PlanContext context) {
    Settings s = Settings.of(state.getSpec().getParams());
    PolicyState ps = new PolicyState(state);
    String prefix = s.attribute() + "=";
    GroupSupply supply = GroupSupply.of(context, s.attribute());
    for (Map.Entry<String, Double> e : feedback.getGroupLearnability().entrySet()) {
      Double v = e.getValue();
      String value = e.getKey().startsWith(prefix) ? e.getKey().substring(prefix.length()) : null;
      if (value == null || value.isEmpty() || v == null || !Double.isFinite(v)) {
        continue;
      }
      // only values the pool holds: a trainer cannot make the state grow with made-up values
      if (supply.values().containsKey(value)) {
        ps.add(PolicyState.key("gl.sum", value), v);
        ps.add(PolicyState.key("gl.n", value), 1);
      }
    }
    ps.add("gl.batches", 1);
    if (feedback.getEvaluation() != null || ps.get("gl.batches", 0) >= s.roundBatches()) {
      TreeMap<String, Double> means = new TreeMap<>();
      for (String v : ps.ids("gl.n")) {
        double n = ps.get(PolicyState.key("gl.n", v), 0);
        if (n > 0) {
          means.put(v, ps.get(PolicyState.key("gl.sum", v), 0) / n);
        }
      }
      ps.removePrefix("gl.");
      if (!means.isEmpty()) {
        update(ps, means, supply, s);
      }
    }
    ps.save();
  }

  /** One round's update of the class comment, on the round's mean learnability per value. */
  static void update(
      PolicyState ps, Map<String, Double> learnability, GroupSupply supply, Settings s) {
    TreeSet<String> values = new TreeSet<>(supply.values().keySet());
    for (String v : ps.ids("rho")) {
      if (!values.contains(v)) {
        ps.remove(PolicyState.key("rho", v));
      }
    }
    Map<String, Double> inPool = new TreeMap<>();
    learnability.forEach(
        (v, x) -> {
          if (values.contains(v)) {
            inPool.put(v, x);
          }
        });
    Map<String, Double> evident =
        RewardEvidence.update(
            ps,
            Rewards.scaled(inPool),
            values,
            s.memory(),
            s.evidence(),
            Rewards.Kind.LEARNABILITY);
    // w_v ∝ π_v·e^{ρ_v + r̃_v/τ}, then w ← (1 − ε)·w + ε·π, stored as ρ_v = ln(w_v/π_v)
    Map<String, Double> reference = reference(supply, s.equalStart());
    Map<String, Double> logw = new TreeMap<>();
    for (String v : values) {
      double pi = reference.get(v);
      logw.put(
          v,
          Math.log(pi) + ps.get(PolicyState.key("rho", v), 0) + evident.get(v) / s.temperature());
    }
    double lse =
        LogSpace.logSumExp(logw.values().stream().mapToDouble(Double::doubleValue).toArray());
    for (String v : values) {
      double pi = reference.get(v);
      double w = (1 - s.floor()) * Math.exp(logw.get(v) - lse) + s.floor() * pi;
      // bounded below so that a value pushed down for months stays finite (e^−50 is nothing)
      ps.put(PolicyState.key("rho", v), Math.max(-RHO_BOUND, Math.log(w / pi)));
    }
  }

  /**
   * The reference mix π over the named values: their shares of the pool, or 1/K each under {@code
   * refinement.start=equal} (the paper's w⁰, as {@code iterative-refinement} has it).
   */
  static Map<String, Double> reference(GroupSupply supply, boolean equal) {
    double named = 0;
    for (long n : supply.values().values()) {
      named += n;
    }
    Map<String, Double> pi = new TreeMap<>();
    int k = supply.values().size();
    for (Map.Entry<String, Long> e : supply.values().entrySet()) {
      pi.put(e.getKey(), equal || named <= 0 ? 1.0 / k : e.getValue() / named);
    }
    return pi;
  }

  /**
   * Each value's weight for the batch split: {@code (1 − η)·w_v + η·π_v} over what "other" leaves,
   * other at its pool share.
   */
  static Map<String, Double> weights(
      PolicyState ps, GroupSupply supply, double explore, boolean equal) {
    double total = Math.max(1, supply.total());
    double named = total - supply.other();
    Map<String, Double> pi = reference(supply, equal);
    double tilted = 0;
    Map<String, Double> w = new HashMap<>();
    for (Map.Entry<String, Double> e : pi.entrySet()) {
      double x = e.getValue() * Math.exp(ps.get(PolicyState.key("rho", e.getKey()), 0));
      w.put(e.getKey(), x);
      tilted += x;
    }
    Map<String, Double> out = new HashMap<>();
    for (Map.Entry<String, Double> e : pi.entrySet()) {
      // the named values share what "other" leaves, tilted by ρ, mixed with π
      double share = tilted > 0 ? w.get(e.getKey()) / tilted : e.getValue();
      out.put(e.getKey(), named * ((1 - explore) * share + explore * e.getValue()));
    }
    return out;
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
        supply -> weights(ps, supply, s.explore(), s.equalStart()),
        GroupSupply::other,
        null);
  }
}
