package io.sieve.query;

import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainerState;
import io.sieve.config.Topics;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Sets the gauges of state from the stores just before a scrape: clusters and pool sizes from the
 * global stores (the same on every instance), and policy state and outstanding batches of the
 * trainers this instance owns (active partitions only, so that instances add up). Reading the
 * stores, rather than hooking the processors, keeps the figures right after a restore too. A store
 * that is not queryable leaves the gauges as they were: a scrape never waits for a rebalance.
 */
final class StoreGauges {

  private final StoreQueries queries;
  private final SieveMetrics metrics;

  StoreGauges(StoreQueries queries, SieveMetrics metrics) {
    this.queries = queries;
    this.metrics = metrics;
  }

  void refresh() {
    try {
      ReadOnlyKeyValueStore<String, CentroidModel> models = queries.local(Stores.CENTROIDS);
      ReadOnlyKeyValueStore<Integer, ClusterStats> stats = queries.local(Stores.CLUSTER_STATS);
      metrics.clusters(models.get(Topics.MODEL_KEY), values(stats));
    } catch (InvalidStateStoreException e) {
      // not queryable now; the next scrape tries again
    }
    try {
      ReadOnlyKeyValueStore<String, TrainerState> trainers = queries.local(Stores.TRAINERS);
      metrics.trainers(values(trainers));
    } catch (InvalidStateStoreException e) {
      // not queryable now; the next scrape tries again
    }
  }

  private static <K, V> List<V> values(ReadOnlyKeyValueStore<K, V> store) {
    List<V> out = new ArrayList<>();
    try (KeyValueIterator<K, V> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<K, V> kv = it.next();
        if (kv.value != null) {
          out.add(kv.value);
        }
      }
    }
    return out;
  }
}
