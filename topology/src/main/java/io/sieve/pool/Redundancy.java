package io.sieve.pool;

import io.sieve.config.SieveConfig;
import io.sieve.embed.Embedders;
import java.util.Locale;

/**
 * How a pool treats redundant examples.
 *
 * @param nearPolicy what happens to a near duplicate
 * @param epsilon an example whose producer supplied its embedding is a near duplicate when its
 *     cosine similarity to a pooled example of its cluster is at least {@code 1 − epsilon}
 * @param textEpsilon the same for an example that Sieve embedded from its text: calibrated to the
 *     embedder (see {@link io.sieve.embed.Embedders#nearEpsilon})
 * @param window pooled examples per cluster that redundancy eviction compares (see {@link
 *     NearWindow}); near duplicates are looked for among all of them (see {@link NearIndex})
 * @param eviction which example leaves a full pool
 */
public record Redundancy(
    NearPolicy nearPolicy, double epsilon, double textEpsilon, int window, Eviction eviction) {

  /** What happens to a near duplicate. */
  public enum NearPolicy {
    /** Counted and not pooled. */
    DROP,
    /** Counted and pooled. */
    COUNT,
    /** Not looked for. */
    KEEP
  }

  /** Which example leaves a full cluster pool. */
  public enum Eviction {
    /** Reservoir sampling: a uniform draw, seeded from (cluster, seen). */
    RESERVOIR,
    /** The pooled example most similar to another pooled example, unless the newcomer is. */
    REDUNDANCY
  }

  public Redundancy {
    if (window < 1) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
  }

  /** One threshold for every example, whoever embedded it. */
  public Redundancy(NearPolicy nearPolicy, double epsilon, int window, Eviction eviction) {
    this(nearPolicy, epsilon, epsilon, window, eviction);
  }

  /** The threshold for an example: {@link #textEpsilon} if Sieve embedded it from its text. */
  double epsilonFor(boolean embeddedBySieve) {
    return embeddedBySieve ? textEpsilon : epsilon;
  }

  /** No near-duplicate checks, reservoir eviction: the pool as it was before redundancy pruning. */
  public static Redundancy off() {
    return new Redundancy(NearPolicy.KEEP, 0.0, 1, Eviction.RESERVOIR);
  }

  public static Redundancy from(SieveConfig config) {
    return new Redundancy(
        NearPolicy.valueOf(
            config.getString(SieveConfig.DEDUP_NEAR_POLICY_CONFIG).toUpperCase(Locale.ROOT)),
        config.getDouble(SieveConfig.DEDUP_NEAR_EPSILON_CONFIG),
        Embedders.nearEpsilon(config),
        config.getInt(SieveConfig.DEDUP_NEAR_WINDOW_CONFIG),
        Eviction.valueOf(
            config.getString(SieveConfig.POOL_EVICTION_CONFIG).toUpperCase(Locale.ROOT)));
  }

  /** Whether the pool looks for near duplicates. */
  boolean checksNear() {
    return nearPolicy != NearPolicy.KEEP;
  }

  /** Whether the pool keeps redundancy windows (for redundancy eviction only). */
  boolean windowed() {
    return eviction == Eviction.REDUNDANCY;
  }
}
