package io.sieve.config;

/**
 * Which trainers' batch topics are ready to be written: created, not deleted since, and owned by
 * that trainer (no other trainer's topic collides with its name). The planner plans only for a
 * trainer whose topic is ready, so a trainer whose topic is missing or refused waits, paused, while
 * every other trainer goes on.
 */
@FunctionalInterface
public interface BatchTopics {

  /** Every topic ready: for topologies run without a broker (tests, benchmarks). */
  BatchTopics ALL_READY = trainerId -> true;

  boolean ready(String trainerId);

  /**
   * Ready, and with a partition for each of {@code ranks} ranks (rank r's shard goes to partition
   * r). The default is for implementations that do not watch partitions.
   */
  default boolean ready(String trainerId, int ranks) {
    return ready(trainerId);
  }

  /**
   * The name two batch topics share when Kafka would refuse the second as a collision: topic names
   * that differ only in '.' and '_' collide, since metric names do not tell them apart.
   */
  static String collisionKey(String topic) {
    return topic.replace('.', '_');
  }
}
