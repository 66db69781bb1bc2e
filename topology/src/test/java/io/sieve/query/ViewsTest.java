package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.StagedBatch;
import io.sieve.avro.TrainerState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ViewsTest {

  @Test
  void trainerViewListsItsStagedBatchesInOrderWithoutTheDiscardedOnes() {
    // Given a trainer with two batches staged, one assembled, and one discarded still in assembly
    TrainerState state =
        TrainerState.newBuilder()
            .setTrainerId("t")
            .setSequence(5)
            .setStaged(
                List.of(
                    StagedBatch.newBuilder()
                        .setBatchId("t-1")
                        .setSequence(1)
                        .setPlannedAt(0)
                        .setDiscarded("rewind")
                        .build(),
                    StagedBatch.newBuilder()
                        .setBatchId("t-3")
                        .setSequence(3)
                        .setPlannedAt(1_000)
                        .setArrived(true)
                        .build(),
                    StagedBatch.newBuilder()
                        .setBatchId("t-4")
                        .setSequence(4)
                        .setPlannedAt(2_000)
                        .build()))
            .build();

    // When it is shown
    Map<String, Object> view = Views.trainer(state);

    // Then the live staged batches are listed, with whether each is assembled
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> staged = (List<Map<String, Object>>) view.get("staged");
    assertThat(staged).extracting(m -> m.get("batchId")).containsExactly("t-3", "t-4");
    assertThat(staged).extracting(m -> m.get("assembled")).containsExactly(true, false);
    assertThat(staged.get(0).get("plannedAt")).isEqualTo("1970-01-01T00:00:01Z");
  }
}
