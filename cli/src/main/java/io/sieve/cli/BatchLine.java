package io.sieve.cli;

import io.sieve.avro.TrainingBatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One readable line per batch, for {@code sieve tail}:
 *
 * <pre>
 * seq=3 size=64/64 complete cycle=0 policy=uniform clusters 2:25% 5:19% 0:13% +4 groups lang=en:67% lang=de:33% id=…
 * </pre>
 *
 * Cluster shares are of the batch's examples, the largest first ({@value #TOP_CLUSTERS} shown, the
 * count of the others after the plus). Group shares are per attribute, the largest first.
 */
final class BatchLine {

  static final int TOP_CLUSTERS = 3;
  static final int TOP_GROUPS = 6;

  private BatchLine() {}

  static String format(TrainingBatch b) {
    int size = b.getExamples().size();
    // a rank's shard holds part of the examples; the counts are the whole batch's
    int whole =
        b.getRanks() > 1
            ? b.getClusterCounts().values().stream().mapToInt(Integer::intValue).sum()
            : size;
    StringBuilder s = new StringBuilder();
    s.append("seq=").append(b.getSequence());
    if (b.getRanks() > 1) {
      s.append(" rank=").append(b.getRank()).append('/').append(b.getRanks());
    }
    s.append(" size=").append(size).append('/').append(b.getRequested());
    s.append(b.getComplete() ? " complete" : " INCOMPLETE");
    if (!b.getMissingClusters().isEmpty()) {
      s.append(" missing=").append(b.getMissingClusters());
    }
    s.append(" cycle=").append(b.getCycle());
    s.append(" policy=").append(b.getPolicy());
    s.append(" clusters");
    List<Map.Entry<String, Integer>> clusters = sorted(b.getClusterCounts(), false);
    for (int i = 0; i < Math.min(TOP_CLUSTERS, clusters.size()); i++) {
      s.append(' ').append(clusters.get(i).getKey()).append(':');
      s.append(percent(clusters.get(i).getValue(), whole));
    }
    if (clusters.size() > TOP_CLUSTERS) {
      s.append(" +").append(clusters.size() - TOP_CLUSTERS);
    }
    List<Map.Entry<String, Integer>> groups = sorted(b.getGroupCounts(), true);
    if (!groups.isEmpty()) {
      s.append(" groups");
      for (int i = 0; i < Math.min(TOP_GROUPS, groups.size()); i++) {
        s.append(' ').append(groups.get(i).getKey()).append(':');
        s.append(percent(groups.get(i).getValue(), whole));
      }
      if (groups.size() > TOP_GROUPS) {
        s.append(" +").append(groups.size() - TOP_GROUPS);
      }
    }
    s.append(" id=").append(b.getBatchId());
    return s.toString();
  }

  /** Largest first; for groups, by attribute name first so an attribute's values stay together. */
  private static List<Map.Entry<String, Integer>> sorted(
      Map<String, Integer> counts, boolean byAttribute) {
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
    Comparator<Map.Entry<String, Integer>> bySize =
        Map.Entry.<String, Integer>comparingByValue().reversed();
    Comparator<Map.Entry<String, Integer>> order =
        byAttribute
            ? Comparator.<Map.Entry<String, Integer>, String>comparing(e -> attribute(e.getKey()))
                .thenComparing(bySize)
            : bySize;
    entries.sort(order.thenComparing(Map.Entry.comparingByKey()));
    return entries;
  }

  private static String attribute(String key) {
    int eq = key.indexOf('=');
    return eq < 0 ? key : key.substring(0, eq);
  }

  private static String percent(int count, int size) {
    return size == 0 ? "0%" : String.format(Locale.ROOT, "%.0f%%", 100.0 * count / size);
  }
}
