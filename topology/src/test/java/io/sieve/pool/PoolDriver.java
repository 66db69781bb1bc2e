package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.CentroidModel;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The pool processor alone in a {@link TopologyTestDriver}, with its real RocksDB stores and the
 * global centroid store it reads to learn of retired clusters: examples in on {@link #input},
 * models on {@link #models}.
 */
final class PoolDriver implements AutoCloseable {

  final TopologyTestDriver driver;
  final TestInputTopic<Integer, BatchExample> input;
  final TestInputTopic<String, CentroidModel> models;

  /**
   * @param nearWindow whether to add the near-duplicate window store ({@code
   *     pool.eviction=redundancy} needs it)
   */
  PoolDriver(Path stateDir, Supplier<PoolProcessor> pool, boolean nearWindow) {
    AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());
    Stores stores = new Stores(serdes);
    Topology topology = new Topology();
    topology.addSource(
        "in",
        Serdes.Integer().deserializer(),
        serdes.forClass(BatchExample.class, false).deserializer(),
        "in");
    topology.addProcessor("pool", pool::get, "in");
    topology.addStateStore(stores.pool(), "pool");
    topology.addStateStore(stores.poolStats(), "pool");
    if (nearWindow) {
      topology.addStateStore(stores.nearWindow(), "pool");
    }
    topology.addStateStore(stores.poolIndex(), "pool");
    topology.addStateStore(stores.served(), "pool");
    topology.addGlobalStore(
        stores.centroids(),
        "centroids-source",
        Serdes.String().deserializer(),
        serdes.forClass(CentroidModel.class, false).deserializer(),
        "centroids",
        "centroids-updater",
        () ->
            new Processor<String, CentroidModel, Void, Void>() {
              private KeyValueStore<String, CentroidModel> store;

              @Override
              public void init(ProcessorContext<Void, Void> context) {
                store = context.getStateStore(Stores.CENTROIDS);
              }

              @Override
              public void process(Record<String, CentroidModel> record) {
                store.put(record.key(), record.value());
              }
            });
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pool-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(topology, props);
    input =
        driver.createInputTopic(
            "in", new IntegerSerializer(), serdes.forClass(BatchExample.class, false).serializer());
    models =
        driver.createInputTopic(
            "centroids",
            new StringSerializer(),
            serdes.forClass(CentroidModel.class, false).serializer());
  }

  @Override
  public void close() {
    driver.close();
  }
}
