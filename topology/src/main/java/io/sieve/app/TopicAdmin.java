package io.sieve.app;

import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the topics Sieve needs; existing topics are left as they are, but topics that must be
 * co-partitioned are checked to be so.
 */
public final class TopicAdmin implements AutoCloseable {

  private final SieveConfig config;
  private final Admin admin;

  public TopicAdmin(SieveConfig config) {
    this.config = config;
    this.admin = Admin.create(properties(config));
  }

  /** The admin client's settings: the pass-through (security included) and the brokers. */
  public static Map<String, Object> properties(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return props;
  }

  /**
   * The topics of {@link Topics#required}, with the configured partitions and replication.
   *
   * @return the names of the topics created now; the others existed already
   */
  public List<String> ensureRequired(Topics topics) {
    List<NewTopic> wanted = new ArrayList<>();
    for (Topics.Spec spec : topics.required(config.partitions(), config.maxRecordBytes())) {
      wanted.add(
          new NewTopic(spec.name(), spec.partitions(), config.replicationFactor())
              .configs(spec.configs()));
    }
    return create(wanted);
  }

  /**
   * Throws, with the topics and their partition counts, if topics that must be co-partitioned
   * ({@link Topics#coPartitioned}) are not. Kafka Streams checks this for joins only: with the
   * planner's merged sources it would run, and a trainer whose spec and feedback land in different
   * tasks would never get its credit back.
   */
  public void checkCoPartitioned(Topics topics) {
    Set<String> names = new TreeSet<>();
    topics.coPartitioned().forEach(names::addAll);
    Map<String, Integer> counts = new TreeMap<>();
    // topics created a moment ago may not have reached every broker's metadata yet: a describe
    // then answers "unknown topic" for a while, so it is asked again for up to 30 s
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        admin
            .describeTopics(names)
            .allTopicNames()
            .get(30, TimeUnit.SECONDS)
            .forEach((name, d) -> counts.put(name, d.partitions().size()));
        break;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "cannot describe topics " + names + " at " + config.bootstrapServers(), e);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while describing " + names, ie);
        }
      } catch (Exception e) {
        throw new IllegalStateException(
            "cannot describe topics " + names + " at " + config.bootstrapServers(), e);
      }
    }
    String problem = coPartitionProblem(topics.coPartitioned(), counts);
    if (problem == null) {
      problem = stagedPartitionProblem(topics.trainers().name(), counts, config.partitions());
    }
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  /**
   * What is wrong with the trainers topic's partition count for the assembled batches' way back to
   * the planner, or null: the {@code staged-by-trainer} repartition topic has {@code
   * topic.partitions} partitions and the planner's task of a trainer reads partition p of both, so
   * a trainer's batches would reach a task without its state if the counts differed.
   */
  static String stagedPartitionProblem(
      String trainers, Map<String, Integer> counts, int partitions) {
    Integer n = counts.get(trainers);
    if (n == null || n == partitions) {
      return null;
    }
    return "topic "
        + trainers
        + " has "
        + n
        + " partitions and topic.partitions is "
        + partitions
        + ": assembled batches return to the planner through a repartition topic of"
        + " topic.partitions partitions, keyed by trainer like the trainers topic, so the two"
        + " counts must be equal. Set topic.partitions="
        + n
        + " (on a new application id) or recreate the trainer topics with "
        + partitions
        + " partitions";
  }

  /** What is wrong with the partition counts of the co-partitioned groups, or null. */
  static String coPartitionProblem(List<List<String>> groups, Map<String, Integer> counts) {
    for (List<String> group : groups) {
      Set<Integer> distinct = new TreeSet<>();
      StringBuilder listed = new StringBuilder();
      for (String name : group) {
        Integer n = counts.get(name);
        if (n == null) {
          return "topic " + name + " does not exist; it must, with as many partitions as " + group;
        }
        distinct.add(n);
        listed.append(listed.length() == 0 ? "" : ", ").append(name).append(" (").append(n);
        listed.append(n == 1 ? " partition)" : " partitions)");
      }
      if (distinct.size() > 1) {
        return "topics "
            + listed
            + " must have the same number of partitions: the planner reads a trainer's spec and"
            + " its feedback together, by the partition of the trainer id. Give them one count"
            + " (recreate one, or add partitions to the smaller before any trainer is registered)"
            + " and start Sieve again";
      }
    }
    return null;
  }

  /** A trainer's batch topic for one rank, sized for the largest batch record. */
  public void ensureBatchTopic(String trainerId) {
    ensureBatchTopic(trainerId, 1);
  }

  /**
   * A trainer's batch topic, sized for the largest batch record, with a partition for each of
   * {@code ranks} data-parallel ranks: created so, or grown to that many if it has fewer. A topic
   * is never shrunk (Kafka cannot take partitions back): after a restart with fewer ranks, the
   * partitions of the former higher ranks just get no new batches.
   *
   * @return the topic's partition count now, at least {@code ranks}
   */
  public int ensureBatchTopic(String trainerId, int ranks) {
    String topic = config.batchTopic(trainerId);
    Map<String, String> configs =
        Map.of(
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
            Integer.toString(config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG) + 65_536));
    create(List.of(new NewTopic(topic, ranks, config.replicationFactor()).configs(configs)));
    int partitions = partitionCount(topic);
    if (partitions >= ranks) {
      return partitions;
    }
    try {
      admin
          .createPartitions(Map.of(topic, NewPartitions.increaseTo(ranks)))
          .all()
          .get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // another instance may have grown it at the same moment: the count read next tells
      if (!(e.getCause() instanceof InvalidPartitionsException)) {
        throw new IllegalStateException(
            "cannot grow topic " + topic + " to " + ranks + " partitions", e.getCause());
      }
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot grow topic " + topic + " to " + ranks + " partitions", e);
    }
    partitions = partitionCount(topic);
    if (partitions < ranks) {
      throw new IllegalStateException(
          "topic " + topic + " has " + partitions + " partitions after growing it to " + ranks);
    }
    return partitions;
  }

  /** A topic's partition count; a topic created a moment ago is asked for again for up to 30 s. */
  private int partitionCount(String topic) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(30, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .size();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot describe topic " + topic, e.getCause());
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while describing " + topic, ie);
        }
      } catch (Exception e) {
        throw new IllegalStateException("cannot describe topic " + topic, e);
      }
    }
  }

  public Set<String> listTopics() {
    try {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot list topics at " + config.bootstrapServers(), e);
    }
  }

  private List<String> create(List<NewTopic> topics) {
    List<String> created = new ArrayList<>();
    admin
        .createTopics(topics)
        .values()
        .forEach(
            (name, future) -> {
              try {
                future.get(60, TimeUnit.SECONDS);
                created.add(name);
              } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                  throw new IllegalStateException("cannot create topic " + name, e.getCause());
                }
              } catch (Exception e) {
                throw new IllegalStateException("cannot create topic " + name, e);
              }
            });
    return created;
  }

  @Override
  public void close() {
    admin.close();
  }
}
