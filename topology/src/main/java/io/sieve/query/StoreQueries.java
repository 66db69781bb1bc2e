package io.sieve.query;

import java.io.IOException;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries with a time bound. A store is not queryable while the app starts, restores or
 * rebalances ({@link InvalidStateStoreException}), and a key's owner may be unknown or unreachable
 * for a moment: each query retries with a growing pause (50 ms doubling to 400 ms) until its
 * deadline, then gives up with {@link NotQueryableException}, which the server answers with 503 and
 * Retry-After. Nothing here waits without bound.
 */
final class StoreQueries {

  private static final long FIRST_PAUSE_MS = 50;
  private static final long MAX_PAUSE_MS = 400;

  private final KafkaStreams streams;
  private final HostInfo self;
  private final Duration timeout;
  private final Forwarder forwarder = new Forwarder();

  StoreQueries(KafkaStreams streams, HostInfo self, Duration timeout) {
    this.streams = streams;
    this.self = self;
    this.timeout = timeout;
  }

  KafkaStreams streams() {
    return streams;
  }

  HostInfo self() {
    return self;
  }

  /** A query that may find its store not queryable, or its owner unreachable, for a moment. */
  interface Attempt<T> {
    T run(Duration remaining) throws IOException, InterruptedException, NotOwnedHereException;
  }

  /** A forwarded query reached an instance that no longer owns its key. */
  static final class NotOwnedHereException extends Exception {
    NotOwnedHereException(String message) {
      super(message);
    }
  }

  /** Runs the attempt until it succeeds or the time bound passes. */
  <T> T retrying(String what, Attempt<T> attempt)
      throws NotQueryableException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_PAUSE_MS;
    Exception last;
    while (true) {
      try {
        return attempt.run(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      } catch (InvalidStateStoreException | IOException | NotOwnedHereException e) {
        last = e;
      }
      long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
      if (remainingMs <= 0) {
        throw new NotQueryableException(
            what + " is not queryable now (" + last.getMessage() + ")", last);
      }
      Thread.sleep(Math.min(pause, remainingMs));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }

  /** A store of this instance: a global one, or the active partitions of a partitioned one. */
  <K, V> ReadOnlyKeyValueStore<K, V> local(String store) {
    return streams.store(
        StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<K, V>keyValueStore()));
  }

  /** The partition of a partitioned store that holds the key, on this instance. */
  <V> ReadOnlyKeyValueStore<String, V> localPartition(String store, int partition) {
    return streams.store(
        StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore())
            .withPartition(partition));
  }

  /** Where a string key of a partitioned store lives now. */
  KeyQueryMetadata owner(String store, String key) {
    KeyQueryMetadata md = streams.queryMetadataForKey(store, key, Serdes.String().serializer());
    if (md == null || md.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      throw new InvalidStateStoreException("no owner of " + store + " key " + key + " yet");
    }
    return md;
  }

  Response forward(
      HostInfo host, String path, String query, String authorization, Duration remaining)
      throws IOException, InterruptedException {
    return forwarder.get(host, path, query, authorization, remaining);
  }
}
