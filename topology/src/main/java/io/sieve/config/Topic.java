package io.sieve.config;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** A topic with the serdes of its keys and values. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

  public Consumed<K, V> consumed(String sourceName) {
    return Consumed.with(keySerde, valueSerde).withName(sourceName);
  }

  public Produced<K, V> produced(String sinkName) {
    return Produced.with(keySerde, valueSerde).withName(sinkName);
  }
}
