package io.sieve.bench;

import io.sieve.avro.TrainingExample;
import io.sieve.config.Topic;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The second baseline: the passthrough plus one changelogged RocksDB put per record, the least a
 * stateful stage costs (the design notes measured it at about two thirds of a passthrough).
 */
final class StorePassthrough {

  static final String STORE = "bench-store";

  private StorePassthrough() {}

  static Topology build(
      Topic<String, TrainingExample> in, Topic<String, TrainingExample> out, LongAdder count) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STORE), Serdes.String(), in.valueSerde()));
    builder.stream(in.name(), in.consumed("store-source"))
        .process(Put::new, Named.as("store-put"), STORE)
        .peek((k, v) -> count.increment(), Named.as("store-count"))
        .to(out.name(), out.produced("store-sink"));
    return builder.build();
  }

  private static final class Put
      implements Processor<String, TrainingExample, String, TrainingExample> {
    private ProcessorContext<String, TrainingExample> context;
    private KeyValueStore<String, TrainingExample> store;

    @Override
    public void init(ProcessorContext<String, TrainingExample> context) {
      this.context = context;
      this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, TrainingExample> record) {
      store.put(record.key(), record.value());
      context.forward(record);
    }
  }
}
