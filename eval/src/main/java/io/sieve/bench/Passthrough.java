package io.sieve.bench;

import io.sieve.avro.TrainingExample;
import io.sieve.config.Topic;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Named;

/** The baseline: decode every example and write it again, same Avro in and out, nothing else. */
final class Passthrough {

  private Passthrough() {}

  static Topology build(
      Topic<String, TrainingExample> in, Topic<String, TrainingExample> out, LongAdder count) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(in.name(), in.consumed("passthrough-source"))
        .peek((k, v) -> count.increment(), Named.as("passthrough-count"))
        .to(out.name(), out.produced("passthrough-sink"));
    return builder.build();
  }
}
