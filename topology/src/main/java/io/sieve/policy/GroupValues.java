package io.sieve.policy;

import io.sieve.avro.BatchExample;

/**
 * An example's value of a group attribute: a key of its {@code groups}, or its label under the
 * reserved attribute {@link #LABEL}, so that label-balanced sampling runs on the same group
 * machinery (pool counts, quotas) as any metadata attribute.
 */
public final class GroupValues {

  /** The attribute under which the pool counts examples' labels. */
  public static final String LABEL = "@label";

  /**
   * Distinct labels counted per cluster at most: a label set larger than that (a free-text or
   * numeric "label") is not a class label, and its counts would bloat every cluster's statistics.
   */
  public static final int MAX_LABELS_PER_CLUSTER = 256;

  private GroupValues() {}

  /** The example's value of {@code attribute}, or null. */
  public static String valueOf(BatchExample example, String attribute) {
    return LABEL.equals(attribute) ? example.getLabel() : example.getGroups().get(attribute);
  }
}
