package io.sieve.pool;

import io.sieve.config.SieveConfig;
import java.util.Locale;

/**
 * How a pool treats redundant examples.
 *
 * @param nearPolicy what happens to a near duplicate
 * @param epsilon an example with cosine similarity at least {@code 1 − epsilon} to a pooled one of
 *     its cluster is a near duplicate
 * @param window pooled examples per cluster compared with (see {@link NearWindow})
 * @param eviction which example leaves a full pool
 */
public record Redundancy(NearPolicy nearPolicy, double epsilon, int window, Eviction eviction) {

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

  /** No near-duplicate checks, reservoir eviction: the pool as it was before redundancy pruning. */
  public static Redundancy off() {
    return new Redundancy(NearPolicy.KEEP, 0.0, 1, Eviction.RESERVOIR);
  }

  public static Redundancy from(SieveConfig config) {
    return new Redundancy(
        NearPolicy.valueOf(
            config.getString(SieveConfig.DEDUP_NEAR_POLICY_CONFIG).toUpperCase(Locale.ROOT)),
        config.getDouble(SieveConfig.DEDUP_NEAR_EPSILON_CONFIG),
        config.getInt(SieveConfig.DEDUP_NEAR_WINDOW_CONFIG),
        Eviction.valueOf(
            config.getString(SieveConfig.POOL_EVICTION_CONFIG).toUpperCase(Locale.ROOT)));
  }

  /** Whether the pool needs a window at all. */
  boolean windowed() {
    return nearPolicy != NearPolicy.KEEP || eviction == Eviction.REDUNDANCY;
  }
}
