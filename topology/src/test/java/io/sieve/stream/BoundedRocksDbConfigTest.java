package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;

class BoundedRocksDbConfigTest {

  @TempDir Path state;

  /** Writes every record into two RocksDB stores. */
  static final class TwoStores implements Processor<String, String, Void, Void> {
    private KeyValueStore<String, String> a;
    private KeyValueStore<String, String> b;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      a = context.getStateStore("a");
      b = context.getStateStore("b");
    }

    @Override
    public void process(Record<String, String> record) {
      a.put(record.key(), record.value());
      b.put(record.value(), record.key());
    }
  }

  @Test
  void everyStoreSharesOneBoundedCacheThatTheLastStoreToCloseFrees() throws Exception {
    // Given a topology with two persistent stores and a budget of 24 MiB
    long bytes = 24L * 1024 * 1024;
    StreamsBuilder builder = new StreamsBuilder();
    for (String name : new String[] {"a", "b"}) {
      builder.addStateStore(
          org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
              org.apache.kafka.streams.state.Stores.persistentKeyValueStore(name),
              Serdes.String(),
              Serdes.String()));
    }
    builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
        .process(TwoStores::new, "a", "b");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bounded-rocksdb");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
    p.put(BoundedRocksDbConfig.MEMORY_BYTES_CONFIG, bytes);

    // When records go through both stores
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), p)) {
      TestInputTopic<String, String> in =
          driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
      for (int i = 0; i < 100; i++) {
        in.pipeInput("k" + i, "v" + i);
      }

      // Then both stores hold their data, configured with the one shared cache
      KeyValueStore<String, String> a = driver.getKeyValueStore("a");
      KeyValueStore<String, String> b = driver.getKeyValueStore("b");
      assertThat(a.get("k42")).isEqualTo("v42");
      assertThat(b.get("v42")).isEqualTo("k42");
      assertThat(BoundedRocksDbConfig.storesSharing(bytes)).isEqualTo(2);
    }

    // and closing the stores frees the cache and the write-buffer manager
    assertThat(BoundedRocksDbConfig.storesSharing(bytes)).isZero();
  }

  @Test
  void setsTheSharedCacheAndWriteBufferManagerOnTheOptions() {
    // Given RocksDB options as Kafka Streams makes them, with a block-based table
    long bytes = 8L * 1024 * 1024;
    BoundedRocksDbConfig first = new BoundedRocksDbConfig();
    BoundedRocksDbConfig second = new BoundedRocksDbConfig();
    try (Options o1 = new Options().setTableFormatConfig(new BlockBasedTableConfig());
        Options o2 = new Options().setTableFormatConfig(new BlockBasedTableConfig())) {
      // When two stores are configured with the same budget
      first.setConfig("s1", o1, Map.of(BoundedRocksDbConfig.MEMORY_BYTES_CONFIG, bytes));
      second.setConfig("s2", o2, Map.of(BoundedRocksDbConfig.MEMORY_BYTES_CONFIG, "8388608"));

      // Then they share one write-buffer manager, and index and filter blocks go to the cache
      assertThat(o1.writeBufferManager()).isNotNull().isSameAs(o2.writeBufferManager());
      assertThat(((BlockBasedTableConfig) o1.tableFormatConfig()).cacheIndexAndFilterBlocks())
          .isTrue();
      assertThat(BoundedRocksDbConfig.storesSharing(bytes)).isEqualTo(2);

      // and the pair lives until the second store closes
      first.close("s1", o1);
      assertThat(BoundedRocksDbConfig.storesSharing(bytes)).isEqualTo(1);
      second.close("s2", o2);
      assertThat(BoundedRocksDbConfig.storesSharing(bytes)).isZero();
    }
  }

  @Test
  void refusesABudgetBelowOneMebibyteAndDefaultsWithoutOne() {
    assertThat(BoundedRocksDbConfig.memoryBytes(Map.of()))
        .isEqualTo(BoundedRocksDbConfig.MEMORY_BYTES_DEFAULT);
    assertThatThrownBy(
            () ->
                BoundedRocksDbConfig.memoryBytes(
                    Map.of(BoundedRocksDbConfig.MEMORY_BYTES_CONFIG, 4096)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rocksdb.memory.bytes must be at least 1 MiB");
  }
}
