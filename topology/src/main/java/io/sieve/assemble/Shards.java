package io.sieve.assemble;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import io.sieve.policy.Seeds;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a batch into its data-parallel shards: one record per rank, rank r's to partition r of the
 * trainer's batch topic, so that each rank of a trainer reads its own partition.
 *
 * <p>Which example goes to which rank is a Fisher–Yates shuffle of the batch's example positions,
 * seeded from the batch's seed (itself from the trainer's seed, id and sequence) and sequence:
 * replaying a batch gives the same shards. Position p of the shuffled order goes to rank p / (n /
 * R), so the shards are disjoint, their union is the batch, and in a complete batch (n = batchSize,
 * which the spec check makes a multiple of R) each holds exactly n / R examples. A batch that came
 * out short (flagged {@code complete=false}: a cluster could not supply, a fragment timed out, a
 * batch was trimmed to fit) still goes to every rank, with shard sizes differing by at most one
 * (the lower ranks get the extra ones), so that every rank sees every sequence number. Within a
 * shard the examples keep the batch's order (grouped by cluster).
 *
 * <p>With one rank the batch is written as it is, rank 0 of 1, without a shuffle.
 */
public final class Shards {

  /** Salt of the shard shuffle's random stream, apart from the policy's draws of the batch. */
  private static final long SALT = 0x7368617264L;

  private Shards() {}

  /**
   * The rank of each of {@code n} examples, by position, for {@code ranks} ranks: a seeded shuffle
   * of the positions, cut into consecutive runs of (nearly) equal length.
   */
  public static int[] ranks(int n, int ranks, long seed, long sequence) {
    if (ranks < 1) {
      throw new IllegalArgumentException("ranks must be at least 1: " + ranks);
    }
    int[] rank = new int[n];
    if (ranks == 1) {
      return rank;
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    long base = Seeds.mix(seed, sequence, SALT);
    for (int i = n - 1; i > 0; i--) {
      int j = (int) Long.remainderUnsigned(Seeds.mix(base, i), i + 1L);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int size = n / ranks;
    int extra = n % ranks;
    int longRuns = extra * (size + 1);
    for (int p = 0; p < n; p++) {
      rank[order[p]] = p < longRuns ? p / (size + 1) : extra + (p - longRuns) / size;
    }
    return rank;
  }

  /** The rank of each of the batch's examples, by position, from the batch's own fields. */
  public static int[] ranks(TrainingBatch batch) {
    return ranks(
        batch.getExamples().size(),
        Math.max(1, batch.getRanks()),
        batch.getSeed(),
        batch.getSequence());
  }

  /** The batch's shards, rank 0 first: the batch itself when it has one rank. */
  public static List<TrainingBatch> of(TrainingBatch batch) {
    int n = Math.max(1, batch.getRanks());
    if (n == 1) {
      return List.of(batch);
    }
    int[] rank = ranks(batch);
    List<List<BatchExample>> parts = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      parts.add(new ArrayList<>(batch.getExamples().size() / n + 1));
    }
    for (int i = 0; i < rank.length; i++) {
      parts.get(rank[i]).add(batch.getExamples().get(i));
    }
    List<TrainingBatch> out = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      TrainingBatch shard = shallowCopy(batch);
      shard.setExamples(parts.get(r));
      shard.setRank(r);
      out.add(shard);
    }
    return out;
  }

  /**
   * A copy sharing the batch's field values: a builder copy would deep-copy every example (text and
   * embedding) once per rank, only to replace them.
   */
  private static TrainingBatch shallowCopy(TrainingBatch batch) {
    TrainingBatch copy = new TrainingBatch();
    int fields = TrainingBatch.getClassSchema().getFields().size();
    for (int i = 0; i < fields; i++) {
      copy.put(i, batch.get(i));
    }
    return copy;
  }
}
