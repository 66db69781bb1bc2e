package io.sieve.policy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The slots a policy chose for one batch, per cluster, and the batch's sampling cycle. */
public record Draw(TreeMap<Integer, List<Pick>> picks, long cycle) {

  /** One chosen slot and the cycle it was drawn in. */
  public record Pick(long slot, long cycle) {}

  public int total() {
    int n = 0;
    for (Map.Entry<Integer, List<Pick>> e : picks.entrySet()) {
      n += e.getValue().size();
    }
    return n;
  }
}
