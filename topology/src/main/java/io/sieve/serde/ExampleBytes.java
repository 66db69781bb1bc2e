package io.sieve.serde;

import io.sieve.avro.BatchExample;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an example costs in a batch record, roughly (its text in UTF-8, its floats, its id and
 * groups), and which examples to leave out so that a set of them fits a byte budget.
 */
public final class ExampleBytes {

  private ExampleBytes() {}

  /** An example's bytes in a batch, roughly. */
  public static long rough(BatchExample e) {
    long n = 16 + e.getId().length();
    if (e.getText() != null) {
      n += e.getText().getBytes(StandardCharsets.UTF_8).length;
    }
    n += 4L * Embeddings.dimension(e);
    for (Map.Entry<String, String> g : e.getGroups().entrySet()) {
      n += 2 + g.getKey().length() + g.getValue().length();
    }
    return n;
  }

  /**
   * Ids of the largest examples to leave out so that the rest take off at least {@code excess}
   * bytes by {@link #rough}; at least one when {@code excess > 0}.
   */
  public static Set<String> largestToDrop(List<BatchExample> examples, long excess) {
    Set<String> drop = new HashSet<>();
    if (excess <= 0) {
      return drop;
    }
    List<BatchExample> bySize = new ArrayList<>(examples);
    bySize.sort(Comparator.comparingLong(ExampleBytes::rough).reversed());
    long dropped = 0;
    for (BatchExample e : bySize) {
      if (!drop.isEmpty() && dropped >= excess) {
        break;
      }
      drop.add(e.getId());
      dropped += rough(e);
    }
    return drop;
  }
}
