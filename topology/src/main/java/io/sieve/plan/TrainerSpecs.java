package io.sieve.plan;

import io.sieve.avro.TrainerSpec;
import io.sieve.policy.GroupQuotas;
import io.sieve.policy.Params;
import io.sieve.policy.Policies;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a trainer spec before the planner accepts it; null means it is fine. */
public final class TrainerSpecs {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  /** Avro overhead of one example besides its floats: id, cluster, cycle, groups, label, score. */
  private static final int EXAMPLE_OVERHEAD_BYTES = 256;

  /** Allowance for one example's text in the size estimate. */
  public static final int TEXT_ALLOWANCE_BYTES = 1024;

  /**
   * Most data-parallel ranks a spec may ask for: each rank is a partition of the trainer's batch
   * topic, and partitions are never taken back, so a typo must not create thousands.
   */
  public static final int MAX_RANKS = 256;

  private TrainerSpecs() {}

  /** A rejection: a machine-readable reason and an explanation. */
  public record Problem(String reason, String detail) {}

  /** Estimated bytes of one batch record of this spec. */
  public static long estimatedBatchBytes(TrainerSpec spec, int dimension) {
    long perExample =
        spec.getIdsOnly()
            ? EXAMPLE_OVERHEAD_BYTES
            : EXAMPLE_OVERHEAD_BYTES + TEXT_ALLOWANCE_BYTES + 4L * dimension;
    return 1024 + perExample * spec.getBatchSize();
  }

  /**
   * The parameters {@code policy} does not know among {@code params}, and those it knows; throws
   * {@link IllegalArgumentException} when a known one is malformed.
   */
  public static Params.Names paramNames(String policy, Map<String, String> params) {
    return Params.unknown(
        params,
        () -> {
          Policies.byName(policy).checkParams(params);
          GroupQuotas.parse(params);
        });
  }

  public static Problem check(String key, TrainerSpec spec, int dimension, long maxBatchBytes) {
    if (spec.getTrainerId() == null || !ID.matcher(spec.getTrainerId()).matches()) {
      return new Problem(
          "invalid-trainer-id",
          "trainer id must be 1-200 of letters, digits, '.', '_', '-': " + spec.getTrainerId());
    }
    if (!spec.getTrainerId().equals(key)) {
      return new Problem(
          "key-mismatch",
          "record key " + key + " differs from the spec's trainerId " + spec.getTrainerId());
    }
    if (Policies.byName(spec.getPolicy()) == null) {
      return new Problem(
          "unknown-policy",
          "unknown policy '" + spec.getPolicy() + "'; known: " + Policies.names());
    }
    Params.Names names;
    try {
      names = paramNames(spec.getPolicy(), spec.getParams());
    } catch (IllegalArgumentException e) {
      return new Problem("invalid-params", e.getMessage());
    }
    if (!names.unknown().isEmpty()) {
      return new Problem(
          "unknown-params",
          "unknown parameter(s) "
              + names.unknown()
              + " for policy "
              + spec.getPolicy()
              + "; known: "
              + names.known());
    }
    if (spec.getBatchSize() < 1 || spec.getBatchSize() > 1_000_000) {
      return new Problem("invalid-batch-size", "batchSize must be in [1, 1000000]");
    }
    if (spec.getWindow() < 1 || spec.getWindow() > 10_000) {
      return new Problem("invalid-window", "window must be in [1, 10000]");
    }
    if (spec.getRanks() < 1 || spec.getRanks() > MAX_RANKS) {
      return new Problem(
          "invalid-ranks", "ranks must be in [1, " + MAX_RANKS + "], got " + spec.getRanks());
    }
    if (spec.getBatchSize() % spec.getRanks() != 0) {
      // equal shards: every rank trains on the same number of examples per step
      return new Problem(
          "ranks-not-dividing-batch",
          "batchSize "
              + spec.getBatchSize()
              + " is not a multiple of ranks "
              + spec.getRanks()
              + ": each rank gets batchSize / ranks examples; choose a batchSize that ranks"
              + " divides");
    }
    long bytes = estimatedBatchBytes(spec, dimension);
    if (bytes > maxBatchBytes) {
      return new Problem(
          "batch-too-large",
          "a batch of "
              + spec.getBatchSize()
              + " examples needs about "
              + bytes
              + " bytes, over batch.max.bytes="
              + maxBatchBytes
              + "; ask for ids-only batches, a smaller batchSize, or raise batch.max.bytes");
    }
    return null;
  }
}
