package io.sieve.policy;

import io.sieve.avro.TrainerState;
import java.util.SortedMap;

/**
 * A way of choosing a batch. A policy reads the pool sizes per cluster, draws slots through the
 * trainer's {@link Cursors} (which guarantee no repeat within a cycle) and may update the trainer's
 * policy state.
 */
public interface SelectionPolicy {

  String name();

  /**
   * Chooses {@code batchSize} slots. {@code poolSizes} maps cluster id to pooled examples (only
   * clusters with items); their sum is at least {@code batchSize}.
   */
  Draw draw(TrainerState state, SortedMap<Integer, Long> poolSizes, int batchSize, long batchSeed);
}
