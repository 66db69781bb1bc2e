package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchLineTest {

  private static TrainingBatch batch(int examples, int rank, int ranks) {
    List<BatchExample> list = new ArrayList<>();
    for (int i = 0; i < examples; i++) {
      list.add(BatchExample.newBuilder().setId("e" + i).setClusterId(i % 2).build());
    }
    return TrainingBatch.newBuilder()
        .setBatchId("t-4")
        .setTrainerId("t")
        .setSequence(4)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(0)
        .setSeed(1)
        .setModelVersion(0)
        .setExamples(list)
        // the whole batch's counts: 8 examples, 6 of cluster 0 and 2 of cluster 1
        .setClusterCounts(Map.of("0", 6, "1", 2))
        .setRequested(8)
        .setComplete(true)
        .setPlannedAt(Instant.EPOCH)
        .setAssembledAt(Instant.EPOCH)
        .setRank(rank)
        .setRanks(ranks)
        .build();
  }

  @Test
  void shouldShowAShardsRankAndTheWholeBatchsShares() {
    String line = BatchLine.format(batch(2, 3, 4));

    assertThat(line).startsWith("seq=4 rank=3/4 size=2/8 complete");
    assertThat(line).contains("clusters 0:75% 1:25%");
  }

  @Test
  void shouldShowAOneRankBatchAsBefore() {
    String line = BatchLine.format(batch(8, 0, 1));

    assertThat(line).startsWith("seq=4 size=8/8 complete").doesNotContain("rank=");
    assertThat(line).contains("clusters 0:75% 1:25%");
  }
}
