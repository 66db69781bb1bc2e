package io.sieve.assemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainingBatch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardsTest {

  private static TrainingBatch batch(int n, int ranks, long seed, long sequence) {
    List<BatchExample> examples = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      examples.add(BatchExample.newBuilder().setId("e" + i).setClusterId(i % 3).build());
    }
    return TrainingBatch.newBuilder()
        .setBatchId("t-" + sequence)
        .setTrainerId("t")
        .setSequence(sequence)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(0)
        .setSeed(seed)
        .setModelVersion(0)
        .setExamples(examples)
        .setRequested(n)
        .setComplete(true)
        .setPlannedAt(Instant.EPOCH)
        .setAssembledAt(Instant.EPOCH)
        .setRanks(ranks)
        .build();
  }

  @Test
  void shouldCutABatchIntoDisjointEqualShardsWhoseUnionIsTheBatch() {
    TrainingBatch b = batch(64, 4, 42, 9);

    List<TrainingBatch> shards = Shards.of(b);

    assertThat(shards).hasSize(4);
    Set<String> union = new HashSet<>();
    for (int r = 0; r < 4; r++) {
      assertThat(shards.get(r).getRank()).isEqualTo(r);
      assertThat(shards.get(r).getRanks()).isEqualTo(4);
      assertThat(shards.get(r).getExamples()).hasSize(16);
      shards.get(r).getExamples().forEach(e -> assertThat(union.add(e.getId())).isTrue());
      // and the shard keeps the batch's order
      List<BatchExample> kept = new ArrayList<>(b.getExamples());
      kept.retainAll(shards.get(r).getExamples());
      assertThat(shards.get(r).getExamples()).isEqualTo(kept);
    }
    assertThat(union).hasSize(64);
    // the batch itself is left as it was
    assertThat(b.getExamples()).hasSize(64);
    assertThat(b.getRank()).isZero();
  }

  @Test
  void shouldBeDeterministicFromSeedAndSequence() {
    int[] once = Shards.ranks(256, 8, 42, 3);

    assertThat(Shards.ranks(256, 8, 42, 3)).isEqualTo(once);
    // another sequence or seed gives another split, not a fixed striping
    assertThat(Shards.ranks(256, 8, 42, 4)).isNotEqualTo(once);
    assertThat(Shards.ranks(256, 8, 43, 3)).isNotEqualTo(once);
    int[] striped = new int[256];
    Arrays.setAll(striped, i -> i / 32);
    assertThat(once).isNotEqualTo(striped);
  }

  @Test
  void shouldGiveEveryRankAShardOfAShortBatchDifferingByAtMostOne() {
    // a batch that came out short: 10 examples over 4 ranks
    int[] counts = new int[4];
    for (int r : Shards.ranks(10, 4, 1, 1)) {
      counts[r]++;
    }
    assertThat(counts).containsExactly(3, 3, 2, 2);

    // and an empty one still gives every rank its (empty) record of the sequence
    List<TrainingBatch> empty = Shards.of(batch(0, 3, 1, 1));
    assertThat(empty).hasSize(3).allSatisfy(s -> assertThat(s.getExamples()).isEmpty());
  }

  @Test
  void shouldLeaveAOneRankBatchAsItIs() {
    TrainingBatch b = batch(12, 1, 5, 0);

    assertThat(Shards.of(b)).containsExactly(b);
    assertThat(Shards.ranks(b)).containsOnly(0);
    assertThatThrownBy(() -> Shards.ranks(4, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
