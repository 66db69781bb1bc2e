package io.sieve.topology;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * This instance's running counts, shared by the processors of all its stream threads. They are
 * in-process figures for progress displays; the durable truth is in the topics and stores.
 */
public final class SieveMetrics {

  private final LongAdder examplesIn = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder pooled = new LongAdder();
  private final LongAdder nearDuplicates = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder incompleteBatches = new LongAdder();
  private final LongAdder batchedExamples = new LongAdder();
  private final Map<String, LongAdder> deadLetters = new ConcurrentHashMap<>();

  public void exampleIn() {
    examplesIn.increment();
  }

  public void duplicateDropped() {
    duplicates.increment();
  }

  /** An example found to be a near duplicate of a pooled one (dropped or kept by policy). */
  public void nearDuplicate() {
    nearDuplicates.increment();
  }

  public void pooled() {
    pooled.increment();
  }

  public void batchWritten(int examples, boolean complete) {
    batches.increment();
    batchedExamples.add(examples);
    if (!complete) {
      incompleteBatches.increment();
    }
  }

  public void deadLetter(String reason) {
    deadLetters.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  public long examplesIn() {
    return examplesIn.sum();
  }

  public long duplicates() {
    return duplicates.sum();
  }

  public long nearDuplicates() {
    return nearDuplicates.sum();
  }

  public long pooledCount() {
    return pooled.sum();
  }

  public long batches() {
    return batches.sum();
  }

  public long incompleteBatches() {
    return incompleteBatches.sum();
  }

  public long batchedExamples() {
    return batchedExamples.sum();
  }

  public Map<String, Long> deadLettersByReason() {
    Map<String, Long> out = new java.util.TreeMap<>();
    deadLetters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
