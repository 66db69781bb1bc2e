package io.sieve.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchComposition;
import io.sieve.avro.RecentBatches;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Stores;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecentBatchesProcessorTest {

  private MockProcessorContext<Void, Void> context;
  private KeyValueStore<String, RecentBatches> store;
  private RecentBatchesProcessor processor;

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    // in memory, with the real wire-format serde the RocksDB store uses
    store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.RECENT_BATCHES),
                Serdes.String(),
                new AvroSerdes(new InMemorySchemaRegistry()).forClass(RecentBatches.class, false))
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    processor = new RecentBatchesProcessor(3);
    processor.init(context);
  }

  private static BatchComposition composition(long sequence) {
    return BatchComposition.newBuilder()
        .setBatchId("t1-" + sequence)
        .setSequence(sequence)
        .setPolicy("uniform")
        .setPolicyStateVersion(1)
        .setRequested(4)
        .setSize(4)
        .setComplete(true)
        .setClusterCounts(Map.of("0", 4))
        .setPlannedAt(Instant.EPOCH)
        .setAssembledAt(Instant.EPOCH)
        .build();
  }

  @Test
  void keepsTheLastNCompositionsNewestFirst() {
    // Given five batches written for one trainer, with room for three
    for (long s = 0; s < 5; s++) {
      processor.process(new Record<>("t1", composition(s), s));
    }

    // Then the store holds the last three, newest first
    List<Long> sequences =
        store.get("t1").getBatches().stream().map(BatchComposition::getSequence).toList();
    assertThat(sequences).containsExactly(4L, 3L, 2L);
  }

  @Test
  void ordersBySequenceWhateverTheArrivalOrder() {
    // Given batches written by different assembler tasks, arriving out of order
    for (long s : new long[] {1, 0, 5, 3, 4, 2}) {
      processor.process(new Record<>("t1", composition(s), s));
    }

    // Then the store holds the three highest sequences, highest first
    List<Long> sequences =
        store.get("t1").getBatches().stream().map(BatchComposition::getSequence).toList();
    assertThat(sequences).containsExactly(5L, 4L, 3L);
  }

  @Test
  void aRepeatedBatchIsKeptOnce() {
    // Given the same batch seen twice (a replay after a crash)
    processor.process(new Record<>("t1", composition(0), 0));
    processor.process(new Record<>("t1", composition(0), 1));

    // Then it appears once
    assertThat(store.get("t1").getBatches()).hasSize(1);
  }

  @Test
  void trainersAreKeptApart() {
    // Given batches of two trainers
    processor.process(new Record<>("t1", composition(0), 0));
    processor.process(new Record<>("t2", composition(7), 0));

    // Then each trainer has its own
    assertThat(store.get("t1").getBatches())
        .extracting(BatchComposition::getSequence)
        .containsExactly(0L);
    assertThat(store.get("t2").getBatches())
        .extracting(BatchComposition::getSequence)
        .containsExactly(7L);
  }
}
