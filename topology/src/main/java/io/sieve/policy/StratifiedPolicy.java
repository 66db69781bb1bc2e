package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.HashMap;
import java.util.Map;

/**
 * Stratified sampling: each batch split equally over the values of one group attribute, uniform
 * within each value, the baseline every group-aware policy must be compared with (Aioli finds that
 * no mixing method consistently beats it). Two policies share this class:
 *
 * <ul>
 *   <li>{@code stratified}: the values of {@code stratified.attribute}, any key of the examples'
 *       {@code groups};
 *   <li>{@code label-balanced}: the examples' labels (the CIFAR-LT remedy for a long tail).
 * </ul>
 *
 * <p>A value's part of a batch of n is {@code n·w_v / Σ w}, with {@code w_v = N_v^γ} for {@code
 * N_v} pooled items of v and γ = {@code balance.power}: 0 (default) gives equal parts, 0.5
 * √-balanced ones, 1 the pool's own mix. Items without the attribute (and values beyond the 64
 * largest) form one more stratum, "other", so nothing in the pool becomes unreachable. A value
 * short of items gives all it has and the rest is water-filled over the others in proportion to
 * their weights ({@link GroupSupply#split}); the counts are rounded by systematic sampling, so each
 * value's expected count is exact even when its part is a fraction of an item. Within a value the
 * draw is uniform: {@link UniformPolicy}'s RS2 picks are the preferred candidates, and the pool
 * tops each value up from its own items (a small value's items therefore repeat sooner, which is
 * the point of balancing).
 */
public final class StratifiedPolicy implements GroupSharePolicy {

  public static final String NAME = "stratified";
  public static final String LABEL_BALANCED = "label-balanced";
  public static final String ATTRIBUTE = "stratified.attribute";
  public static final String POWER = "balance.power";
  public static final double POWER_DEFAULT = 0.0;

  private static final long SALT = 0x7374726174L;

  private final String name;
  private final boolean labels;
  private final UniformPolicy uniform = new UniformPolicy();

  private StratifiedPolicy(String name, boolean labels) {
    this.name = name;
    this.labels = labels;
  }

  /** Equal parts per value of {@code stratified.attribute}. */
  public static StratifiedPolicy stratified() {
    return new StratifiedPolicy(NAME, false);
  }

  /** Equal parts per label. */
  public static StratifiedPolicy labelBalanced() {
    return new StratifiedPolicy(LABEL_BALANCED, true);
  }

  @Override
  public String name() {
    return name;
  }

  private String attribute(Map<String, String> params) {
    if (labels) {
      return GroupValues.LABEL;
    }
    String attribute = new Params(params).string(ATTRIBUTE, null);
    if (attribute == null) {
      throw new IllegalArgumentException(ATTRIBUTE + " is required (the attribute to stratify on)");
    }
    if (attribute.contains("=")) {
      throw new IllegalArgumentException(ATTRIBUTE + " must not contain '=': " + attribute);
    }
    return attribute;
  }

  @Override
  public void checkParams(Map<String, String> params) {
    attribute(params);
    new Params(params).number(POWER, POWER_DEFAULT, 0, 1);
    GroupSharePolicy.refuseGroupTargets(name, params);
  }

  @Override
  public Draw draw(TrainerState state, PlanContext context, int batchSize, long batchSeed) {
    Map<String, String> params = state.getSpec().getParams();
    double power = new Params(params).number(POWER, POWER_DEFAULT, 0, 1);
    return GroupSupply.drawShares(
        uniform,
        state,
        context,
        attribute(params),
        batchSize,
        batchSeed,
        SALT,
        supply -> {
          Map<String, Double> weight = new HashMap<>();
          supply.values().forEach((v, n) -> weight.put(v, Math.pow(n, power)));
          return weight;
        },
        supply -> supply.other() > 0 ? Math.pow(supply.other(), power) : 0,
        null);
  }
}
