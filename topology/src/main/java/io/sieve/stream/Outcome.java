package io.sieve.stream;

import io.sieve.avro.DeadLetter;

/**
 * What a processor made of a record: a value to pass on, or a dead letter. Processors forward
 * outcomes and the topology splits them, so bad records leave through the dead-letter topic inside
 * the same transaction as everything else.
 */
public record Outcome<V>(V value, DeadLetter deadLetter) {

  public static <V> Outcome<V> ok(V value) {
    return new Outcome<>(value, null);
  }

  public static <V> Outcome<V> dead(DeadLetter deadLetter) {
    return new Outcome<>(null, deadLetter);
  }

  public boolean isOk() {
    return deadLetter == null;
  }
}
